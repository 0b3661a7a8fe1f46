#include "engine/reserved_array.hpp"

#include <sys/mman.h>

namespace pto::wsp::engine {

void* reserve_address_space(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  // MAP_NORESERVE: no swap is set aside for the whole range (it may be far larger than what
  // is ever touched); pages are committed when first written.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void release_address_space(void* p, std::size_t bytes) noexcept {
  if (p != nullptr) munmap(p, bytes);
}

}  // namespace pto::wsp::engine
