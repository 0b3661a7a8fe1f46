// The simulator's pending events, earliest first by a 128-bit key (time above, the order events
// were scheduled below), so that each comparison is one branch-free compare: a heap for events in
// any order, and FIFOs for the kinds of event that are scheduled in (or mostly in) time order.
// The heap's pop moves the hole to a leaf and sifts the last entry up from there: fewer
// comparisons than sifting it down from the root, since it usually belongs near the bottom.
#pragma once

#include <algorithm>
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

/// No event: times stay below 2^63.
inline constexpr EventKey kNeverKey = ~EventKey{0};

/// A min-heap of T by T::key. Its storage only grows (a push is a store and a sift, without
/// std::vector's capacity bookkeeping). Empty, its top's key reads kNeverKey (so the earliest of
/// several sources is found without asking whether the heap is empty).
template <class T>
class EventHeap {
 public:
  EventHeap() : heap_(256) { clear(); }

  bool empty() const noexcept { return size_ == 0; }
  const T& top() const noexcept { return heap_[0]; }
  EventKey top_key() const noexcept { return heap_[0].key; }  // kNeverKey when empty
  void clear() noexcept {
    size_ = 0;
    heap_[0].key = kNeverKey;
  }

  void push(const T& e) {
    if (size_ == heap_.size()) [[unlikely]]
      grow();
    sift_up(size_++, e);
  }

  void pop() {
    const std::size_t n = --size_;
    if (n == 0) {
      heap_[0].key = kNeverKey;
      return;
    }
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
  [[gnu::noinline]] void grow() { heap_.resize(2 * heap_.size()); }

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

/// A FIFO of events of one kind (so only their keys and task slots are kept) in key order. Its
/// entries lie in one array from head_ to tail_, followed by a sentinel whose key is kNever: the
/// front's key is then one read whether or not the FIFO is empty, and taking the front is one
/// increment (no ring index to wrap). When the tail reaches the array's end the entries move
/// back to its start (they are few: events leave about as fast as they come), or the array
/// doubles when they fill more than half of it.
class EventFifo {
 public:
  static constexpr EventKey kNever = kNeverKey;

  EventFifo() { reserve(64); }
  EventFifo(const EventFifo&) = delete;
  EventFifo& operator=(const EventFifo&) = delete;

  bool empty() const noexcept { return head_ == tail_; }
  EventKey front_key() const noexcept { return head_->key; }  // kNever when empty
  /// The key of the event pushed last (the FIFO must not be empty).
  EventKey last_key() const noexcept { return (tail_ - 1)->key; }
  void push(EventKey key, std::uint32_t slot) {
    if (tail_ + 1 == end_) [[unlikely]]
      make_room();
    tail_->key = key;
    tail_->slot = slot;
    ++tail_;
    tail_->key = kNever;
  }
  /// Removes the front event; returns its slot.
  std::uint32_t take_front() noexcept { return (head_++)->slot; }
  void clear() noexcept {
    head_ = tail_ = buf_.data();
    tail_->key = kNever;
  }

 private:
  struct Entry {
    EventKey key;
    std::uint32_t slot;
  };
  void reserve(std::size_t n) {
    buf_.resize(n);
    end_ = buf_.data() + n;
    clear();
  }
  [[gnu::noinline]] void make_room() {
    const std::size_t n = static_cast<std::size_t>(tail_ - head_);
    if (2 * (n + 1) > buf_.size()) {
      std::vector<Entry> next(2 * buf_.size());
      std::copy(head_, tail_ + 1, next.data());
      buf_.swap(next);
      end_ = buf_.data() + buf_.size();
    } else {
      std::copy(head_, tail_ + 1, buf_.data());
    }
    head_ = buf_.data();
    tail_ = head_ + n;
  }

  std::vector<Entry> buf_;
  Entry* head_ = nullptr;  ///< [head_, tail_) are queued; *tail_ is the sentinel
  Entry* tail_ = nullptr;
  Entry* end_ = nullptr;
};

}  // namespace pto::wsp::sim
