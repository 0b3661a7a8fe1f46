// A fixed-capacity array of records constructed on first use, in one block of address space
// reserved up front: indexing is one address computation (no table of chunks to load first),
// and only the records made cost memory.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace pto::wsp::engine {

/// Reserves `bytes` of zero-filled address space that the kernel backs page by page as it is
/// first touched (nothing is committed up front, so a large capacity costs no memory until
/// used). Throws std::bad_alloc when the address space cannot be had. Page-aligned.
void* reserve_address_space(std::size_t bytes);
void release_address_space(void* p, std::size_t bytes) noexcept;

/// Up to `capacity` T, made one after another (make_next) and destroyed with the array. Made
/// records never move: another thread may hold a reference to one while the next is made.
template <class T>
class ReservedArray {
 public:
  explicit ReservedArray(std::size_t capacity)
      : capacity_(capacity), data_(static_cast<T*>(reserve_address_space(capacity * sizeof(T)))) {
    static_assert(alignof(T) <= 4096, "records are placed at page-aligned addresses");
  }
  ~ReservedArray() {
    for (std::size_t i = made_; i-- > 0;) data_[i].~T();
    release_address_space(data_, capacity_ * sizeof(T));
  }
  ReservedArray(const ReservedArray&) = delete;
  ReservedArray& operator=(const ReservedArray&) = delete;

  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  std::size_t made() const noexcept { return made_; }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Constructs record made() (made() < capacity()) from `args` and returns it.
  template <class... Args>
  T& make_next(Args&&... args) {
    T* p = ::new (static_cast<void*>(data_ + made_)) T(std::forward<Args>(args)...);
    ++made_;
    return *p;
  }

 private:
  std::size_t capacity_;
  T* data_;
  std::size_t made_ = 0;
};

}  // namespace pto::wsp::engine
