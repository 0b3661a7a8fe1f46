// Tensor views: layout arithmetic, bounds checks and regions in root coordinates.
#include "pto/wsp/core/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

constexpr std::size_t kAlignment = 64;

std::int64_t checked_numel(std::span<const std::int64_t> shape, const char* op) {
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 0) {
      throw CompileError(fmt::format("{}: dimension {} has negative size {} in shape {}", op, d,
                                     shape[d], shape_string(shape)));
    }
    if (__builtin_mul_overflow(n, shape[d], &n)) {
      throw CompileError(fmt::format("{}: shape {} has more elements than fit in 64 bits", op,
                                     shape_string(shape)));
    }
  }
  return n;
}

void check_rank(std::size_t rank, const char* op) {
  if (rank > static_cast<std::size_t>(kMaxRank)) {
    throw CompileError(fmt::format("{}: rank {} exceeds the maximum rank {}", op, rank, kMaxRank));
  }
}

// Distinct coordinates map to distinct addresses when, sorted by |stride|, each stride exceeds the
// span of all smaller ones (sufficient, and true of every layout that slicing can produce).
bool layout_is_injective(const RootLayout& r) {
  std::vector<std::pair<std::int64_t, std::int64_t>> dims;  // (|stride|, extent)
  for (int d = 0; d < r.rank; ++d) {
    if (r.shape[d] == 0) return true;  // empty: nothing aliases
    if (r.shape[d] > 1) dims.emplace_back(std::llabs(r.strides[d]), r.shape[d]);
  }
  std::sort(dims.begin(), dims.end());
  std::int64_t span = 0;  // largest offset reachable with the smaller dims
  for (auto [stride, extent] : dims) {
    if (stride <= span) return false;
    std::int64_t reach = 0;
    // A layout whose reach overflows is rejected by the caller; call it aliasing meanwhile.
    if (__builtin_mul_overflow(stride, extent - 1, &reach) ||
        __builtin_add_overflow(span, reach, &span)) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<RootLayout> make_root(DType dtype, std::span<const std::int64_t> shape,
                                      std::span<const std::int64_t> strides) {
  auto root = std::make_shared<RootLayout>();
  root->dtype = dtype;
  root->rank = static_cast<int>(shape.size());
  std::int64_t stride = 1;
  for (int d = root->rank - 1; d >= 0; --d) {
    root->shape[d] = shape[d];
    root->strides[d] = strides.empty() ? stride : strides[d];
    // Row-major strides of an empty tensor may exceed 64 bits; they address nothing, so saturate.
    if (__builtin_mul_overflow(stride, std::max<std::int64_t>(shape[d], 1), &stride)) {
      stride = std::numeric_limits<std::int64_t>::max();
    }
  }
  root->injective = layout_is_injective(*root);
  return root;
}

}  // namespace

void Storage::FreeDeleter::operator()(std::byte* p) const noexcept {
  std::free(p);
}

std::shared_ptr<Storage> Storage::allocate(std::size_t bytes) {
  auto s = std::shared_ptr<Storage>(new Storage());  // private constructor: make_shared can't
  const std::size_t rounded =
      std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  auto* p = static_cast<std::byte*>(std::aligned_alloc(kAlignment, rounded));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  s->owned_.reset(p);
  s->data_ = p;
  s->bytes_ = bytes;
  s->writable_ = true;
  return s;
}

std::shared_ptr<Storage> Storage::borrow(void* data, std::size_t bytes, bool writable) {
  auto s = std::shared_ptr<Storage>(new Storage());
  s->data_ = static_cast<std::byte*>(data);
  s->bytes_ = bytes;
  s->writable_ = writable;
  return s;
}

Tensor Tensor::from_root(std::shared_ptr<const RootLayout> root) {
  Tensor t;
  t.rank_ = root->rank;
  for (int d = 0; d < t.rank_; ++d) {
    t.dims_[d].size = root->shape[d];
    t.dims_[d].root_dim = d;
    t.dims_[d].root_step = 1;
  }
  t.root_ = std::move(root);
  return t;
}

Tensor Tensor::zeros(DType dtype, const Shape& shape) {
  check_rank(shape.size(), "Tensor::zeros");
  const std::int64_t n = checked_numel(shape, "Tensor::zeros");
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(n, static_cast<std::int64_t>(size_of(dtype)), &bytes)) {
    throw CompileError(fmt::format("Tensor::zeros: {} elements of {} overflow the address space", n,
                                   name_of(dtype)));
  }
  auto root = make_root(dtype, shape, {});
  root->storage = Storage::allocate(static_cast<std::size_t>(bytes));
  return from_root(std::move(root));
}

Tensor Tensor::borrow(void* data, DType dtype, const Shape& shape, const Shape& strides) {
  return borrow_impl(data, dtype, shape, strides, true);
}

Tensor Tensor::borrow_const(const void* data, DType dtype, const Shape& shape,
                            const Shape& strides) {
  // The storage is marked read-only; nothing in PTO-WSP writes through a read-only storage.
  return borrow_impl(const_cast<void*>(data), dtype, shape, strides, false);
}

Tensor Tensor::borrow_impl(void* data, DType dtype, const Shape& shape, const Shape& strides,
                           bool writable) {
  const char* op = "Tensor::borrow";
  check_rank(shape.size(), op);
  const std::int64_t n = checked_numel(shape, op);
  if (!strides.empty() && strides.size() != shape.size()) {
    throw CompileError(fmt::format("{}: {} strides given for a shape of rank {}", op,
                                   strides.size(), shape.size()));
  }
  if (data == nullptr && n > 0) {
    throw CompileError(fmt::format("{}: null data pointer for shape {}", op, shape_string(shape)));
  }
  auto root = make_root(dtype, shape, strides);
  // Element extent reachable from the origin; negative strides reach below it. Every step is
  // checked: a layout reaching beyond the address space is a user error, not a wrap-around.
  std::int64_t lo = 0, hi = 0, bytes = 0;
  const auto esize = static_cast<std::int64_t>(size_of(dtype));
  bool overflow = false;
  if (n > 0) {
    for (int d = 0; d < root->rank; ++d) {
      std::int64_t reach = 0;
      overflow |= __builtin_mul_overflow(root->strides[d], root->shape[d] - 1, &reach);
      overflow |= __builtin_add_overflow(reach < 0 ? lo : hi, reach, reach < 0 ? &lo : &hi);
    }
    std::int64_t span = 0;
    overflow |= __builtin_sub_overflow(hi, lo, &span);
    overflow |= __builtin_add_overflow(span, 1, &span);
    overflow |= __builtin_mul_overflow(span, esize, &bytes);
  }
  if (overflow) {
    throw CompileError(
        fmt::format("{}: strides {} of shape {} reach beyond the 64-bit address "
                    "space",
                    op, shape_string(strides), shape_string(shape)));
  }
  auto* base = static_cast<std::byte*>(data) + lo * esize;
  root->storage = Storage::borrow(base, static_cast<std::size_t>(bytes), writable);
  root->offset = -lo;
  return from_root(std::move(root));
}

void Tensor::throw_bad_dim(int dim, const char* op) const {
  throw CompileError(
      fmt::format("{}: dimension {} is out of range for a view of rank {}", op, dim, rank_));
}

void Tensor::check_element_type(DType requested) const {
  if (!defined()) throw TypeCheckError("Tensor::data: the tensor is undefined");
  if (requested != dtype()) {
    throw TypeCheckError(
        fmt::format("Tensor::data<{}>: the tensor holds {}", name_of(requested), name_of(dtype())));
  }
}

std::int64_t Tensor::size(int dim) const {
  check_dim(dim, "Tensor::size");
  return dims_[dim].size;
}

std::int64_t Tensor::stride(int dim) const {
  check_dim(dim, "Tensor::stride");
  return root_->strides[dims_[dim].root_dim] * dims_[dim].root_step;
}

Shape Tensor::strides() const {
  Shape out(rank_);
  for (int d = 0; d < rank_; ++d) out[d] = root_->strides[dims_[d].root_dim] * dims_[d].root_step;
  return out;
}

std::int64_t Tensor::numel() const noexcept {
  if (!defined()) return 0;
  std::int64_t n = 1;
  for (int d = 0; d < rank_; ++d) n *= dims_[d].size;
  return n;
}

bool Tensor::is_contiguous() const noexcept {
  std::int64_t expected = 1;
  for (int d = rank_ - 1; d >= 0; --d) {
    if (dims_[d].size != 1 && root_->strides[dims_[d].root_dim] * dims_[d].root_step != expected)
      return false;
    expected *= dims_[d].size;
  }
  return true;
}

void Tensor::select_in_place(int dim, std::int64_t index) {
  check_dim(dim, "Tensor::select");
  if (index < 0 || index >= dims_[dim].size) {
    throw CompileError(fmt::format("view {}[{}] on dimension {}: index {} is outside [0, {})",
                                   type_string(), index, dim, index, dims_[dim].size));
  }
  dims_[dims_[dim].root_dim].root_start += index * dims_[dim].root_step;
  for (int d = dim; d + 1 < rank_; ++d) {
    dims_[d].size = dims_[d + 1].size;
    dims_[d].root_dim = dims_[d + 1].root_dim;
    dims_[d].root_step = dims_[d + 1].root_step;
  }
  --rank_;
}

Tensor::SelectEffect Tensor::select_effect(int dim) const {
  check_dim(dim, "Tensor::select");
  return SelectEffect{static_cast<int>(dims_[dim].root_dim), dims_[dim].root_step, dims_[dim].size};
}

void Tensor::slice_in_place(int dim, std::int64_t begin, std::int64_t end, std::int64_t step) {
  check_dim(dim, "Tensor::slice");
  if (step <= 0) {
    throw CompileError(fmt::format("view {}.slice({}, {}, {}, {}): step must be positive",
                                   type_string(), dim, begin, end, step));
  }
  if (begin < 0 || end > dims_[dim].size || begin > end) {
    throw CompileError(
        fmt::format("view {}.slice({}, {}) on dimension {}: range is outside [0, {}] or reversed",
                    type_string(), begin, end, dim, dims_[dim].size));
  }
  const std::int64_t count = end == begin ? 0 : 1 + (end - begin - 1) / step;
  // A step beyond the range keeps one element; its size no longer matters, so cap it.
  const std::int64_t effective_step = count <= 1 ? 1 : step;
  std::int64_t new_step = 0;
  if (__builtin_mul_overflow(dims_[dim].root_step, effective_step, &new_step)) {
    throw CompileError(fmt::format("view {}.slice({}, {}, {}, {}): the step overflows 64 bits",
                                   type_string(), dim, begin, end, step));
  }
  dims_[dims_[dim].root_dim].root_start += begin * dims_[dim].root_step;
  dims_[dim].size = count;
  dims_[dim].root_step = new_step;
}

Tensor Tensor::select(int dim, std::int64_t index) const {
  Tensor t = *this;
  t.select_in_place(dim, index);
  return t;
}

Tensor Tensor::slice(int dim, std::int64_t begin, std::int64_t end, std::int64_t step) const {
  Tensor t = *this;
  t.slice_in_place(dim, begin, end, step);
  return t;
}

Tensor Tensor::permute(std::span<const int> order) const {
  if (static_cast<int>(order.size()) != rank_) {
    throw CompileError(fmt::format("Tensor::permute: {} dimensions given for a view of rank {}",
                                   order.size(), rank_));
  }
  std::array<bool, kMaxRank> seen{};
  Tensor t = *this;
  for (int i = 0; i < rank_; ++i) {
    const int d = order[i];
    check_dim(d, "Tensor::permute");
    if (seen[d]) throw CompileError(fmt::format("Tensor::permute: dimension {} repeated", d));
    seen[d] = true;
    t.dims_[i].size = dims_[d].size;
    t.dims_[i].root_dim = dims_[d].root_dim;
    t.dims_[i].root_step = dims_[d].root_step;
  }
  return t;
}

Tensor Tensor::transpose(int a, int b) const {
  check_dim(a, "Tensor::transpose");
  check_dim(b, "Tensor::transpose");
  std::array<int, kMaxRank> order{};
  for (int d = 0; d < rank_; ++d) order[d] = d;
  std::swap(order[a], order[b]);
  return permute(std::span<const int>(order.data(), rank_));
}

Tensor Tensor::reshape(const Shape& shape) const {
  check_rank(shape.size(), "Tensor::reshape");
  const std::int64_t n = checked_numel(shape, "Tensor::reshape");
  if (n != numel()) {
    throw CompileError(fmt::format("Tensor::reshape: {} has {} elements but shape {} has {}",
                                   type_string(), numel(), shape_string(shape), n));
  }
  if (!is_contiguous()) {
    throw CompileError(fmt::format(
        "Tensor::reshape: {} is not contiguous; reshape needs a contiguous view", type_string()));
  }
  auto root = make_root(dtype(), shape, {});
  root->storage = root_->storage;
  root->offset = (bytes() - root_->storage->data()) / static_cast<std::ptrdiff_t>(size_of(dtype()));
  return from_root(std::move(root));
}

std::byte* Tensor::bytes() const noexcept {
  if (!defined()) return nullptr;
  std::int64_t off = root_->offset;
  for (int r = 0; r < root_->rank; ++r) off += dims_[r].root_start * root_->strides[r];
  return root_->storage->data() + off * static_cast<std::int64_t>(size_of(root_->dtype));
}

std::int64_t Tensor::offset_of(std::span<const std::int64_t> index) const {
  if (static_cast<int>(index.size()) != rank_) {
    throw CompileError(
        fmt::format("Tensor::at: {} indices given for a view of rank {}", index.size(), rank_));
  }
  std::int64_t off = 0;
  for (int d = 0; d < rank_; ++d) {
    if (index[d] < 0 || index[d] >= dims_[d].size) {
      throw CompileError(fmt::format("Tensor::at: index {} of dimension {} is outside [0, {})",
                                     index[d], d, dims_[d].size));
    }
    off += index[d] * root_->strides[dims_[d].root_dim] * dims_[d].root_step;
  }
  return off;
}

Region Tensor::region() const noexcept {
  Region r;
  region_into(r);
  return r;
}

void Tensor::region_into(Region& r) const noexcept {
  r.root = nullptr;
  r.lo = r.hi = 0;
  r.rank = 0;
  if (!defined() || numel() == 0) return;
  r.root = root_.get();
  r.exact = root_->injective;
  r.rank = root_->rank;
  for (int d = 0; d < r.rank; ++d) {
    r.start[d] = dims_[d].root_start;
    r.count[d] = 1;
    r.step[d] = 1;
  }
  std::int64_t lo = 0, hi = 0;  // element offsets from the view origin
  for (int d = 0; d < rank_; ++d) {
    r.count[dims_[d].root_dim] = dims_[d].size;
    r.step[dims_[d].root_dim] = dims_[d].root_step;
    const std::int64_t reach =
        root_->strides[dims_[d].root_dim] * dims_[d].root_step * (dims_[d].size - 1);
    (reach < 0 ? lo : hi) += reach;
  }
  const auto esize = static_cast<std::int64_t>(size_of(root_->dtype));
  const auto origin = reinterpret_cast<std::uintptr_t>(bytes());
  r.lo = origin + lo * esize;
  r.hi = origin + (hi + 1) * esize;
}

std::vector<double> Tensor::to_doubles() const {
  std::vector<double> out;
  const std::int64_t n = numel();
  out.reserve(static_cast<std::size_t>(n));
  std::array<std::int64_t, kMaxRank> idx{};
  const Shape st = strides();
  const std::byte* base = bytes();
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t off = 0;
    for (int d = 0; d < rank_; ++d) off += idx[d] * st[d];
    // load_as_double indexes from base in elements; offsets may be negative for borrowed views.
    out.push_back(
        load_as_double(base + off * static_cast<std::int64_t>(size_of(dtype())), dtype(), 0));
    for (int d = rank_ - 1; d >= 0; --d) {
      if (++idx[d] < dims_[d].size) break;
      idx[d] = 0;
    }
  }
  return out;
}

void Tensor::copy_from_bytes(const void* src, std::size_t nbytes) {
  const auto esize = size_of(dtype());
  const auto n = static_cast<std::size_t>(numel());
  if (nbytes != n * esize) {
    throw CompileError(fmt::format("Tensor::copy_from: {} bytes given for {} ({} bytes)", nbytes,
                                   type_string(), n * esize));
  }
  if (!writable()) {
    throw CompileError(fmt::format("Tensor::copy_from: {} is read-only", type_string()));
  }
  if (is_contiguous()) {
    if (n) std::memcpy(bytes(), src, nbytes);
    return;
  }
  std::array<std::int64_t, kMaxRank> idx{};
  const Shape st = strides();
  const auto* in = static_cast<const std::byte*>(src);
  for (std::size_t k = 0; k < n; ++k) {
    std::int64_t off = 0;
    for (int d = 0; d < rank_; ++d) off += idx[d] * st[d];
    std::memcpy(bytes() + off * static_cast<std::int64_t>(esize), in + k * esize, esize);
    for (int d = rank_ - 1; d >= 0; --d) {
      if (++idx[d] < dims_[d].size) break;
      idx[d] = 0;
    }
  }
}

Shape Tensor::shape() const {
  Shape out(static_cast<std::size_t>(rank_));
  for (int d = 0; d < rank_; ++d) out[static_cast<std::size_t>(d)] = dims_[d].size;
  return out;
}

std::string Tensor::type_string() const {
  if (!defined()) return "undefined";
  return fmt::format("{}{}", name_of(dtype()), shape_string(shape()));
}

std::string shape_string(std::span<const std::int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace pto::wsp
