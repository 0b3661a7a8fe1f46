// Tensors: owned or borrowed memory seen through zero-copy strided views, each with its region.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pto/wsp/core/dtype.hpp"
#include "pto/wsp/core/region.hpp"

namespace pto::wsp {

/// A block of bytes a tensor lives in: allocated (owned, zeroed, 64-byte aligned) or borrowed.
class Storage {
 public:
  static std::shared_ptr<Storage> allocate(std::size_t bytes);
  static std::shared_ptr<Storage> borrow(void* data, std::size_t bytes, bool writable);

  std::byte* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }
  bool writable() const noexcept { return writable_; }

  struct FreeDeleter {
    void operator()(std::byte* p) const noexcept;
  };

 private:
  Storage() = default;
  std::unique_ptr<std::byte, FreeDeleter> owned_;
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
  bool writable_ = true;
};

/// The layout a family of views was cut from; views compare regions exactly within one root.
struct RootLayout {
  std::shared_ptr<Storage> storage;
  DType dtype = DType::f32;
  std::int64_t offset = 0;  ///< elements from storage start to coordinate (0, ..., 0)
  int rank = 0;
  std::array<std::int64_t, kMaxRank> shape{};
  std::array<std::int64_t, kMaxRank> strides{};  ///< in elements
  bool injective = true;                         ///< distinct coordinates never share an address
};

using Shape = std::vector<std::int64_t>;

/// A view onto a tensor: dtype, shape and strides over shared storage. Copying a view never copies
/// data; `operator[]`, `slice`, `select`, `permute` and `reshape` give new views of the same bytes.
/// Out-of-range indices and bad shapes raise CompileError naming the operation and the bound.
class Tensor {
 public:
  Tensor() = default;

  /// A new zero-filled, owned, row-major tensor.
  static Tensor zeros(DType dtype, const Shape& shape);
  /// A view onto caller memory that the caller keeps alive; row-major unless strides are given.
  static Tensor borrow(void* data, DType dtype, const Shape& shape, const Shape& strides = {});
  /// A read-only view: binding it to an Out/InOut parameter is rejected.
  static Tensor borrow_const(const void* data, DType dtype, const Shape& shape,
                             const Shape& strides = {});
  template <typename T>
  static Tensor borrow(T* data, const Shape& shape, const Shape& strides = {}) {
    return borrow(static_cast<void*>(data), dtype_of_v<T>, shape, strides);
  }
  template <typename T>
  static Tensor borrow(const T* data, const Shape& shape, const Shape& strides = {}) {
    return borrow_const(static_cast<const void*>(data), dtype_of_v<T>, shape, strides);
  }
  /// An owned tensor holding a copy of `values`, of the given shape.
  template <typename T>
  static Tensor from(std::span<const T> values, const Shape& shape) {
    Tensor t = zeros(dtype_of_v<T>, shape);
    t.copy_from_bytes(values.data(), values.size_bytes());
    return t;
  }

  bool defined() const noexcept { return root_ != nullptr; }
  DType dtype() const noexcept { return root_ ? root_->dtype : DType::f32; }
  int rank() const noexcept { return rank_; }
  std::int64_t size(int dim) const;
  Shape shape() const;
  /// Memory stride of a dimension, in elements.
  std::int64_t stride(int dim) const;
  Shape strides() const;
  std::int64_t numel() const noexcept;
  bool writable() const noexcept { return root_ && root_->storage->writable(); }
  bool is_contiguous() const noexcept;

  /// Index the first dimension: drops it.
  Tensor operator[](std::int64_t index) const { return select(0, index); }
  /// Elements [begin, end) of the first dimension.
  Tensor slice(std::int64_t begin, std::int64_t end) const { return slice(0, begin, end, 1); }
  /// Elements begin, begin+step, ... < end of dimension `dim` (step > 0).
  Tensor slice(int dim, std::int64_t begin, std::int64_t end, std::int64_t step) const;
  /// Fix dimension `dim` at `index`: drops it.
  Tensor select(int dim, std::int64_t index) const;
  /// The same as `*this = select(...)` / `*this = slice(...)`, without copying the view (the hot
  /// path of task generation).
  void select_in_place(int dim, std::int64_t index);
  void slice_in_place(int dim, std::int64_t begin, std::int64_t end, std::int64_t step);
  /// What `select_in_place(dim, i)` does to the view's origin: it moves `i * step` along root
  /// dimension `root_dim`, for `i` in [0, extent). Lets a chain of selects be compiled once and
  /// replayed per task (`select_in_place(dim, 0)` then `shift_origin`).
  struct SelectEffect {
    int root_dim;
    std::int64_t step;
    std::int64_t extent;
  };
  SelectEffect select_effect(int dim) const;
  /// Moves the origin `delta` elements along root dimension `root_dim` (unchecked: the replay of a
  /// select whose index was checked against its SelectEffect::extent).
  void shift_origin(int root_dim, std::int64_t delta) noexcept {
    dims_[root_dim].root_start += delta;
  }
  /// `*this = other`, skipping the reference-count traffic when both share a root, and copying
  /// only the entries in use (the view's dimensions, the root's for the origin): nothing reads
  /// past them.
  void assign(const Tensor& other) {
    if (root_ != other.root_) root_ = other.root_;
    rank_ = other.rank_;
    // Whole records up to the larger of the two ranks: an entry's other half is unused, and
    // copying it is cheaper than copying the used fields one by one.
    const int used = std::max(rank_, root_ ? root_->rank : 0);
    for (int d = 0; d < used; ++d) dims_[d] = other.dims_[d];
  }
  /// Reorder dimensions: result dimension i is this view's dimension order[i].
  Tensor permute(std::span<const int> order) const;
  Tensor permute(std::initializer_list<int> order) const {
    return permute(std::span<const int>(order.begin(), order.size()));
  }
  Tensor transpose(int a, int b) const;
  /// A contiguous view with another shape (a new root); requires a contiguous view.
  Tensor reshape(const Shape& shape) const;

  /// Address of the first element (coordinate 0,...,0) of this view.
  std::byte* bytes() const noexcept;
  template <typename T>
  T* data() const {
    check_element_type(dtype_of_v<T>);
    return reinterpret_cast<T*>(bytes());
  }
  /// Element offset (in elements, from data()) of a coordinate, bounds-checked.
  std::int64_t offset_of(std::span<const std::int64_t> index) const;
  template <typename T>
  T& at(std::initializer_list<std::int64_t> index) const {
    return data<T>()[offset_of(std::span<const std::int64_t>(index.begin(), index.size()))];
  }

  /// The elements this view covers.
  Region region() const noexcept;
  /// The same, written into `out` (only its first `rank` coordinates: no full copy of a Region,
  /// which the dependency tracker computes for every access).
  void region_into(Region& out) const noexcept;
  /// True when the two views share an element.
  bool overlaps(const Tensor& other) const noexcept { return region().overlaps(other.region()); }
  /// Identity of the root this view was cut from (same root: exact region comparisons).
  const RootLayout* root() const noexcept { return root_.get(); }

  /// Every element, in row-major order of this view, converted to double.
  std::vector<double> to_doubles() const;
  /// Copies row-major `bytes` of this dtype into the (possibly strided) view.
  void copy_from_bytes(const void* src, std::size_t bytes);
  /// "f32[4, 8]".
  std::string type_string() const;

 private:
  static Tensor from_root(std::shared_ptr<const RootLayout> root);
  static Tensor borrow_impl(void* data, DType dtype, const Shape& shape, const Shape& strides,
                            bool writable);
  void check_element_type(DType requested) const;
  /// Inline: every generated task's view selects and slices check their dimension.
  void check_dim(int dim, const char* op) const {
    if (dim < 0 || dim >= rank_) [[unlikely]]
      throw_bad_dim(dim, op);
  }
  [[noreturn]] void throw_bad_dim(int dim, const char* op) const;

  std::shared_ptr<const RootLayout> root_;
  int rank_ = 0;
  /// Entry d describes view dimension d (size, root_dim, root_step) and, independently, root
  /// dimension d (root_start). One array of records rather than four arrays: a view of low rank
  /// fits in the Tensor's first two cache lines, which matters when a task record's views are
  /// rewritten for every generated task.
  struct Dim {
    std::int64_t size = 0;
    std::int64_t root_step = 0;   ///< step along root dimension root_dim
    std::int64_t root_start = 0;  ///< coordinate of this view's origin along root dimension d
    std::int64_t root_dim = 0;    ///< root dimension view dimension d walks
  };
  std::array<Dim, kMaxRank> dims_{};
};

/// "[4, 8]".
std::string shape_string(std::span<const std::int64_t> shape);

}  // namespace pto::wsp
