// The simulator's pending events, earliest first by a 128-bit key (time above, the order events
// were scheduled below), so that each comparison is one branch-free compare: a heap for events in
// any order, and FIFOs for the kinds of event that are scheduled in (or mostly in) time order.
// The heap's pop moves the hole to a leaf and sifts the last entry up from there: fewer
// comparisons than sifting it down from the root, since it usually belongs near the bottom.
#pragma once

#include <cstdint>
#include <vector>


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

/// A FIFO of events of one kind (so only their keys and task slots are kept) in key order, on a
/// growable power-of-two ring. It keeps its front's key at hand (kNever when empty): finding the
/// earliest of several sources then reads one key per FIFO instead of probing rings.
class EventFifo {
 public:
  static constexpr EventKey kNever = ~EventKey{0};  // no event: times stay below 2^63

  bool empty() const noexcept { return head_ == tail_; }
  EventKey front_key() const noexcept { return front_key_; }
  EventKey last_key() const noexcept { return last_key_; }
  void push(EventKey key, std::uint32_t slot) {
    if (tail_ - head_ == capacity_) [[unlikely]]
      grow();
    if (head_ == tail_) front_key_ = key;
    buf_[tail_++ & mask_] = Entry{key, slot};
    last_key_ = key;
  }
  /// Removes the front event; returns its slot.
  std::uint32_t take_front() noexcept {
    const std::uint32_t slot = buf_[head_++ & mask_].slot;
    front_key_ = head_ == tail_ ? kNever : buf_[head_ & mask_].key;
    return slot;
  }
  void clear() noexcept {
    head_ = tail_ = 0;
    front_key_ = kNever;
  }

 private:
  struct Entry {
    EventKey key;
    std::uint32_t slot;
  };
  [[gnu::noinline]] void grow() {
    const std::uint64_t n = capacity_ == 0 ? 64 : 2 * capacity_;
    std::vector<Entry> next(n);
    for (std::uint64_t i = head_; i != tail_; ++i) next[i - head_] = buf_[i & mask_];
    tail_ -= head_;
    head_ = 0;
    buf_.swap(next);
    capacity_ = n;
    mask_ = n - 1;
  }

  std::vector<Entry> buf_;
  std::uint64_t capacity_ = 0, mask_ = 0;  ///< buf_.size() (a power of two), and that less one
  std::uint64_t head_ = 0, tail_ = 0;      ///< [head_, tail_) modulo capacity_ are queued
  EventKey front_key_ = kNever;
  EventKey last_key_ = 0;
};

}  // namespace pto::wsp::sim
