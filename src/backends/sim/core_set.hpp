// The free cores of one kind in one group (every core when AICPUs share the cores, an AICPU's own
// when they are split), as a bit set over the cores' positions: a task takes the lowest-numbered
// free core (deterministic placement).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace pto::wsp::sim {

class CoreSet {
 public:
  // Adds a core (in ascending id order); returns its position, which give_back takes.
  int add(int core) {
    ids_.push_back(core);
    bits_.resize((ids_.size() + 63) / 64, 0);
    set(static_cast<int>(ids_.size()) - 1);
    return static_cast<int>(ids_.size()) - 1;
  }
  bool any() const noexcept { return free_ > 0; }
  // Takes the lowest free core (one must be free: any()); returns its id.
  int take() {
    std::size_t w = 0;
    while (bits_[w] == 0) ++w;
    const int i = static_cast<int>(w * 64) + std::countr_zero(bits_[w]);
    bits_[w] &= bits_[w] - 1;
    --free_;
    return ids_[static_cast<std::size_t>(i)];
  }
  void give_back(int position) { set(position); }
  void reset() {
    std::fill(bits_.begin(), bits_.end(), 0);
    free_ = 0;
    for (std::size_t i = 0; i < ids_.size(); ++i) set(static_cast<int>(i));
  }

 private:
  void set(int i) {
    bits_[static_cast<std::size_t>(i) / 64] |= 1ull << (i % 64);
    ++free_;
  }
  std::vector<int> ids_;  // ascending
  std::vector<std::uint64_t> bits_;
  int free_ = 0;
};

}  // namespace pto::wsp::sim
