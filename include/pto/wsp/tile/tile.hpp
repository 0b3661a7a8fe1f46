// Tiles: the values of the tile language (`pto::`, DESIGN §4.5). A tile is a rows×cols block of
// one element type with a valid extent: tiles keep the shape they were declared with, and a load
// at the ragged tail of a view fills only its valid rows/cols. Every op computes and every store
// writes the valid region only, so padding is never observable.
//
// A tile is either concrete (it owns its elements; ops on it compute at once) or traced (it names
// a value of a TileProgram being built; ops on it append instructions). The same op functions
// serve both, with the same shape and dtype rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pto/wsp/core/dtype.hpp"

namespace pto {

using wsp::DType;

/// The static type of a tile: its declared shape and element type.
struct TileType {
  int rows = 0;
  int cols = 0;
  DType dtype = DType::f32;
  std::int64_t elements() const noexcept { return std::int64_t{rows} * cols; }
  std::int64_t bytes() const noexcept {
    return elements() * static_cast<std::int64_t>(wsp::size_of(dtype));
  }
  bool operator==(const TileType&) const = default;
  /// "f32[16x128]".
  std::string to_string() const;
};

/// The element types tiles support: f32, f16 and bf16 (narrow ones stored narrow and computed in
/// f32 with round-to-nearest-even), and i32/u32 for indices.
bool is_tile_dtype(DType dtype) noexcept;

class ProgramBuilder;

/// Recycles the element buffers of concrete tiles. A tile made from a pool gives its buffer back
/// when its last copy goes, and ops on pooled tiles take their results from the same pool; tile
/// kernels run with one pool per kernel, so a steady stream of tasks allocates nothing.
/// Thread-safe. Buffers keep their pool alive.
class TilePool : public std::enable_shared_from_this<TilePool> {
 public:
  static std::shared_ptr<TilePool> make();
  ~TilePool();
  TilePool(const TilePool&) = delete;
  TilePool& operator=(const TilePool&) = delete;
  /// A 64-byte aligned buffer of `bytes` bytes.
  std::shared_ptr<std::byte[]> allocate(std::int64_t bytes);
  /// Buffers waiting for reuse.
  std::size_t idle() const;

 private:
  TilePool() = default;
  void give_back(std::byte* p, std::int64_t bytes);
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::vector<std::byte*>> free_;
};

/// A scalar operand of a tile op: a constant, or (inside a tile program) a scalar parameter of
/// the kernel, read when the program runs.
class TileScalar {
 public:
  TileScalar(double value) noexcept : value_(value) {}  // NOLINT: scalars convert implicitly
  TileScalar(int value) noexcept : value_(value) {}     // NOLINT
  static TileScalar param(int index) noexcept {
    TileScalar s(0.0);
    s.param_ = index;
    return s;
  }
  bool is_param() const noexcept { return param_ >= 0; }
  int param_index() const noexcept { return param_; }
  /// The constant; a parameter (inside a traced body) has no value until the program runs, so
  /// asking for it is a TypeCheckError (a trace must not bake in a value).
  double value() const {
    if (param_ >= 0) throw_param_value();
    return value_;
  }

 private:
  [[noreturn]] static void throw_param_value();
  double value_ = 0.0;
  int param_ = -1;  ///< kernel parameter index, or -1 for a constant
};

/// A tile of run-time shape. Copies share the (immutable) elements.
class DynTile {
 public:
  DynTile() = default;
  /// A concrete tile with uninitialised elements and the whole shape valid.
  explicit DynTile(TileType type);
  DynTile(TileType type, int valid_rows, int valid_cols);
  /// A concrete tile whose elements come from `pool` (null: the heap).
  DynTile(TileType type, TilePool* pool);

  const TileType& type() const noexcept { return type_; }
  int rows() const noexcept { return type_.rows; }
  int cols() const noexcept { return type_.cols; }
  DType dtype() const noexcept { return type_.dtype; }
  /// The valid extent (concrete tiles: a traced tile's is known only when the program runs, so
  /// asking is a TypeCheckError — a trace must not branch on it).
  int valid_rows() const {
    if (builder_ != nullptr) throw_traced_extent();
    return valid_rows_;
  }
  int valid_cols() const {
    if (builder_ != nullptr) throw_traced_extent();
    return valid_cols_;
  }

  bool defined() const noexcept { return type_.rows > 0; }
  bool traced() const noexcept { return builder_ != nullptr; }
  /// The program this tile is a value of (traced tiles only) and its value id there.
  ProgramBuilder* builder() const noexcept { return builder_; }
  int value_id() const noexcept { return value_; }

  /// The pool the elements came from, or null.
  TilePool* pool() const noexcept { return pool_; }
  /// Elements, row-major with a row stride of cols() (concrete tiles only).
  std::byte* bytes() const noexcept { return data_.get(); }
  template <typename T>
  T* data() const noexcept {
    return reinterpret_cast<T*>(data_.get());
  }
  /// Element (r, c) converted to double (concrete tiles; for tests and printing).
  double at(int r, int c) const;
  /// Sets element (r, c) from a double, rounding to the tile's dtype (used to fill inputs).
  /// Copies of this tile keep their elements (the elements are copied first when shared).
  void set(int r, int c, double value);

  /// A traced tile: value `id` of `builder`.
  static DynTile traced_value(ProgramBuilder* builder, int id, TileType type);

 private:
  [[noreturn]] void throw_traced_extent() const;
  TileType type_{};
  int valid_rows_ = 0;
  int valid_cols_ = 0;
  std::shared_ptr<std::byte[]> data_;
  TilePool* pool_ = nullptr;
  ProgramBuilder* builder_ = nullptr;
  int value_ = -1;

  friend struct TileAccess;
};

/// A tile whose shape and dtype are part of its C++ type, so shape mismatches between static
/// tiles fail to compile. Wraps a DynTile; `dyn()` leaves the static world.
template <int R, int C, DType D>
class Tile {
  static_assert(R > 0 && C > 0, "a tile has at least one row and one column");

 public:
  static constexpr int kRows = R;
  static constexpr int kCols = C;
  static constexpr DType kDType = D;
  static constexpr TileType type() noexcept { return TileType{R, C, D}; }

  Tile() : tile_(TileType{R, C, D}) {}
  /// Adopts a run-time tile; throws TypeCheckError when its type is not R×C of D.
  explicit Tile(DynTile tile);
  const DynTile& dyn() const noexcept { return tile_; }
  int valid_rows() const { return tile_.valid_rows(); }
  int valid_cols() const { return tile_.valid_cols(); }
  double at(int r, int c) const { return tile_.at(r, c); }
  void set(int r, int c, double v) { tile_.set(r, c, v); }

 private:
  DynTile tile_;
};

/// Throws TypeCheckError unless `tile` has type `want` ("<what>: expected f32[16x128], got ...").
void expect_tile_type(const DynTile& tile, TileType want, const char* what);

template <int R, int C, DType D>
Tile<R, C, D>::Tile(DynTile tile) : tile_(std::move(tile)) {
  expect_tile_type(tile_, type(), "Tile");
}

}  // namespace pto
