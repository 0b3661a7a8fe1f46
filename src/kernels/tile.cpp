#include "pto/wsp/tile/tile.hpp"

#include <fmt/format.h>

#include <cstring>
#include <new>

#include "kernels/tile_access.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto {
namespace {

/// Tile elements are 64-byte aligned, so vector loads of a row start never split a cache line.
constexpr std::align_val_t kAlign{64};
std::byte* raw_allocate(std::int64_t bytes) {
  return static_cast<std::byte*>(
      ::operator new[](static_cast<std::size_t>(bytes > 0 ? bytes : 1), kAlign));
}
void raw_free(std::byte* p) {
  ::operator delete[](p, kAlign);
}

std::shared_ptr<std::byte[]> allocate(std::int64_t bytes) {
  return std::shared_ptr<std::byte[]>(raw_allocate(bytes), raw_free);
}

/// Buffers of one size a pool keeps for reuse; more are freed.
constexpr std::size_t kPoolKeepPerSize = 64;

}  // namespace

std::string TileType::to_string() const {
  return fmt::format("{}[{}x{}]", wsp::name_of(dtype), rows, cols);
}

bool is_tile_dtype(DType d) noexcept {
  return d == DType::f32 || d == DType::f16 || d == DType::bf16 || d == DType::i32 ||
         d == DType::u32;
}

std::shared_ptr<TilePool> TilePool::make() {
  return std::shared_ptr<TilePool>(new TilePool());
}

TilePool::~TilePool() {
  for (auto& [bytes, list] : free_)
    for (std::byte* p : list) raw_free(p);
}

std::shared_ptr<std::byte[]> TilePool::allocate(std::int64_t bytes) {
  std::byte* p = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = free_.find(bytes);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    }
  }
  if (p == nullptr) p = raw_allocate(bytes);
  return std::shared_ptr<std::byte[]>(
      p, [self = shared_from_this(), bytes](std::byte* q) { self->give_back(q, bytes); });
}

void TilePool::give_back(std::byte* p, std::int64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    auto& list = free_[bytes];
    if (list.size() < kPoolKeepPerSize) {
      list.push_back(p);
      return;
    }
  }
  raw_free(p);
}

std::size_t TilePool::idle() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [bytes, list] : free_) n += list.size();
  return n;
}

namespace {
void check_tile(TileType type, int valid_rows, int valid_cols) {
  if (type.rows < 1 || type.cols < 1)
    throw wsp::TypeCheckError(
        fmt::format("tile {}: a tile has at least one row and one column", type.to_string()));
  if (!is_tile_dtype(type.dtype))
    throw wsp::TypeCheckError(
        fmt::format("tile {}: dtype {} is not a tile dtype (f32, f16, bf16, i32, u32)",
                    type.to_string(), wsp::name_of(type.dtype)));
  if (valid_rows < 0 || valid_rows > type.rows || valid_cols < 0 || valid_cols > type.cols)
    throw wsp::TypeCheckError(fmt::format("tile {}: valid extent {}x{} is outside the tile",
                                          type.to_string(), valid_rows, valid_cols));
}
}  // namespace

DynTile::DynTile(TileType type) : DynTile(type, type.rows, type.cols) {}

DynTile::DynTile(TileType type, int valid_rows, int valid_cols)
    : type_(type), valid_rows_(valid_rows), valid_cols_(valid_cols) {
  check_tile(type, valid_rows, valid_cols);
  data_ = allocate(type.bytes());
}

DynTile::DynTile(TileType type, TilePool* pool)
    : type_(type), valid_rows_(type.rows), valid_cols_(type.cols), pool_(pool) {
  check_tile(type, type.rows, type.cols);
  data_ = pool ? pool->allocate(type.bytes()) : allocate(type.bytes());
}

DynTile DynTile::traced_value(ProgramBuilder* builder, int id, TileType type) {
  DynTile t;
  t.type_ = type;
  t.valid_rows_ = type.rows;
  t.valid_cols_ = type.cols;
  t.builder_ = builder;
  t.value_ = id;
  return t;
}

namespace {
void check_element(const DynTile& t, int r, int c, const char* what) {
  if (t.traced())
    throw wsp::TypeCheckError(
        fmt::format("{}: tile {} is traced; it has no elements until the "
                    "program runs",
                    what, t.type().to_string()));
  if (!t.defined()) throw wsp::TypeCheckError(fmt::format("{}: the tile is empty", what));
  if (r < 0 || r >= t.rows() || c < 0 || c >= t.cols())
    throw wsp::TypeCheckError(
        fmt::format("{}: element ({}, {}) is outside tile {}", what, r, c, t.type().to_string()));
}
}  // namespace

double DynTile::at(int r, int c) const {
  check_element(*this, r, c, "DynTile::at");
  return detail::element(TileAccess::ref(*this), r, c);
}

void DynTile::set(int r, int c, double value) {
  check_element(*this, r, c, "DynTile::set");
  if (data_.use_count() > 1) {  // copy on write: other copies keep their elements
    auto fresh = pool_ ? pool_->allocate(type_.bytes()) : allocate(type_.bytes());
    std::memcpy(fresh.get(), data_.get(), static_cast<std::size_t>(type_.bytes()));
    data_ = std::move(fresh);
  }
  detail::set_element(TileAccess::ref(*this), r, c, value);
}

void TileScalar::throw_param_value() {
  throw wsp::TypeCheckError(
      "TileScalar::value: a scalar parameter has no value while a kernel is traced; use it as an "
      "operand (mul(x, io.scalar(\"s\"))) instead of reading it");
}

void DynTile::throw_traced_extent() const {
  throw wsp::TypeCheckError(fmt::format(
      "tile {}: a traced tile's valid extent is known only when the program runs; a tile kernel "
      "must not branch on it",
      type_.to_string()));
}

void expect_tile_type(const DynTile& tile, TileType want, const char* what) {
  if (tile.type() != want)
    throw wsp::TypeCheckError(fmt::format("{}: expected {}, got {}", what, want.to_string(),
                                          tile.defined() ? tile.type().to_string() : "no tile"));
}

}  // namespace pto
