// A FIFO on one growable power-of-two ring: push_back/pop_front are a few instructions, unlike
// std::deque's segmented map (the scheduler does both once per task, the simulator more often).
#pragma once

#include <cstdint>
#include <vector>

namespace pto::wsp::engine {

template <class T>
class Ring {
 public:
  bool empty() const noexcept { return head_ == tail_; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(tail_ - head_); }
  const T& front() const noexcept { return buf_[head_ & mask_]; }
  void pop_front() noexcept { ++head_; }
  void push_back(const T& v) {
    if (tail_ - head_ == capacity_) [[unlikely]]
      grow();
    buf_[tail_++ & mask_] = v;
  }
  void clear() noexcept { head_ = tail_ = 0; }

 private:
  [[gnu::noinline]] void grow() {
    const std::size_t n = buf_.empty() ? 64 : 2 * buf_.size();
    std::vector<T> next(n);
    for (std::uint64_t i = head_; i != tail_; ++i) next[i - head_] = buf_[i & mask_];
    tail_ -= head_;
    head_ = 0;
    buf_.swap(next);
    capacity_ = n;
    mask_ = n - 1;
  }
  std::vector<T> buf_;
  std::uint64_t capacity_ = 0, mask_ = 0;  ///< buf_.size() (a power of two), and that less one
  std::uint64_t head_ = 0, tail_ = 0;
};

/// Task slots.
using RingQueue = Ring<std::uint32_t>;

}  // namespace pto::wsp::engine
