// Where the engine appends the slots of tasks it commits: a caller's vector, written through a
// cursor into spare room made 64 entries at a time.
#pragma once

#include <cstdint>
#include <vector>

namespace pto::wsp::engine {

/// An append to a std::vector is a call whenever the compiler declines to inline push_back (GCC
/// stopped inlining it in Engine::commit when engine.cpp grew: 19 M more instructions on the
/// simulator's 1 M-task DAG). Here an append is a compare, a store and an increment whatever the
/// inliner decides; the vector holds spare entries until settle() trims them.
class SlotOutput {
 public:
  /// Appends to `v` (none: attached() is false) until detach().
  void attach(std::vector<std::uint32_t>* v) noexcept {
    v_ = v;
    pos_ = end_ = nullptr;
  }
  void detach() noexcept {
    if (v_ != nullptr) settle();
    v_ = nullptr;
  }
  bool attached() const noexcept { return v_ != nullptr; }

  [[gnu::always_inline]] void push(std::uint32_t slot) {
    if (pos_ == end_) [[unlikely]]
      make_room();
    *pos_++ = slot;
  }
  /// The vector holding exactly what was appended (for code that appends to it directly);
  /// the next push makes room again.
  std::vector<std::uint32_t>& settle() noexcept {
    if (pos_ != nullptr) {
      v_->resize(static_cast<std::size_t>(pos_ - v_->data()));  // shrinks: no allocation
      pos_ = end_ = nullptr;
    }
    return *v_;
  }

 private:
  [[gnu::noinline]] void make_room() {
    const std::size_t n = settle().size();
    v_->resize(n + kRoom);
    pos_ = v_->data() + n;
    end_ = v_->data() + v_->size();
  }
  static constexpr std::size_t kRoom = 64;
  std::vector<std::uint32_t>* v_ = nullptr;
  std::uint32_t* pos_ = nullptr;  ///< the next entry to write (null: settled)
  std::uint32_t* end_ = nullptr;
};

}  // namespace pto::wsp::engine
