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
  // Adds a core (in ascending id order); returns its position (word_of and bit_of take it).
  int add(int core) {
    ids_.push_back(core);
    bits_.resize((ids_.size() + 63) / 64, 0);
    give_back(static_cast<int>(ids_.size()) - 1);
    return static_cast<int>(ids_.size()) - 1;
  }
  bool any() const noexcept {
    return std::any_of(bits_.begin(), bits_.end(), [](std::uint64_t w) { return w != 0; });
  }
  // Takes the lowest free core (one must be free: any()); returns its id.
  int take() {
    std::size_t w = 0;
    while (bits_[w] == 0) ++w;
    const int i = static_cast<int>(w * 64) + std::countr_zero(bits_[w]);
    bits_[w] &= bits_[w] - 1;
    return ids_[static_cast<std::size_t>(i)];
  }
  // The core at `position` goes back: its bit (bit_of) is set in its word (word_of). A caller
  // may keep the two to do so itself; the word stays put once every core is added.
  void give_back(int position) { *word_of(position) |= bit_of(position); }
  std::uint64_t* word_of(int position) { return &bits_[static_cast<std::size_t>(position) / 64]; }
  static std::uint64_t bit_of(int position) noexcept { return 1ull << (position % 64); }
  void reset() {
    std::fill(bits_.begin(), bits_.end(), 0);
    for (std::size_t i = 0; i < ids_.size(); ++i) give_back(static_cast<int>(i));
  }

 private:
  std::vector<int> ids_;  // ascending
  std::vector<std::uint64_t> bits_;
};

}  // namespace pto::wsp::sim
