// The simulator's pending events, earliest first by a 128-bit key (time above, the order events
// were scheduled below), so that each comparison is one branch-free compare: a heap for events in
// any order, and FIFOs for the kinds of event that are scheduled in (or mostly in) time order.
// The heap's pop moves the hole to a leaf and sifts the last entry up from there: fewer
// comparisons than sifting it down from the root, since it usually belongs near the bottom.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/ring_queue.hpp"

namespace pto::wsp::sim {

__extension__ using EventKey = unsigned __int128;

/// `time` (never negative) above, `seq` below: keys order by time, then by seq.
inline EventKey event_key(std::int64_t time, std::uint64_t seq) noexcept {
  return (static_cast<EventKey>(static_cast<std::uint64_t>(time)) << 64) | seq;
}
inline std::int64_t event_time(EventKey key) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(key >> 64));
}

/// A min-heap of T by T::key. Its storage only grows (a push is a store and a sift, without
/// std::vector's capacity bookkeeping).
template <class T>
class EventHeap {
 public:
  bool empty() const noexcept { return size_ == 0; }
  const T& top() const noexcept { return heap_[0]; }
  void clear() noexcept { size_ = 0; }

  void push(const T& e) {
    if (size_ == heap_.size()) [[unlikely]]
      grow();
    sift_up(size_++, e);
  }

  void pop() {
    const std::size_t n = --size_;
    if (n == 0) return;
    const T last = heap_[n];
    std::size_t hole = 0;
    for (std::size_t child = 1; child < n; child = 2 * hole + 1) {
      if (child + 1 < n && heap_[child + 1].key < heap_[child].key) ++child;
      heap_[hole] = heap_[child];
      hole = child;
    }
    sift_up(hole, last);
  }

 private:
  [[gnu::noinline]] void grow() { heap_.resize(heap_.empty() ? 256 : 2 * heap_.size()); }

  void sift_up(std::size_t hole, const T& e) {
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / 2;
      if (!(e.key < heap_[parent].key)) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = e;
  }

  std::vector<T> heap_;  ///< [0, size_) is the heap
  std::size_t size_ = 0;
};

/// A FIFO of T in key order (T::key) that keeps its front's key at hand (kNever when empty):
/// finding the earliest of several sources then reads one key per FIFO instead of probing rings.
template <class T>
class EventFifo {
 public:
  static constexpr EventKey kNever = ~EventKey{0};  // no event: times stay below 2^63

  bool empty() const noexcept { return ring_.empty(); }
  EventKey front_key() const noexcept { return front_key_; }
  EventKey last_key() const noexcept { return last_key_; }
  const T& front() const noexcept { return ring_.front(); }
  void push(const T& e) {
    if (ring_.empty()) front_key_ = e.key;
    ring_.push_back(e);
    last_key_ = e.key;
  }
  void pop() noexcept {
    ring_.pop_front();
    front_key_ = ring_.empty() ? kNever : ring_.front().key;
  }
  void clear() noexcept {
    ring_.clear();
    front_key_ = kNever;
  }

 private:
  engine::Ring<T> ring_;
  EventKey front_key_ = kNever;
  EventKey last_key_ = 0;
};

}  // namespace pto::wsp::sim
