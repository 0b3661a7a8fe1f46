// Prevalidation shared by the backends: one generation pass that resolves every view (raising
// CompileError for a bad one) and evaluates the schedule keys that can fail, before anything runs.
#pragma once

#include <cstdint>
#include <limits>

#include "engine/dispatcher.hpp"
#include "engine/generator.hpp"

namespace pto::wsp::engine {

// Checks every view of every task without tracking or running anything.
class ValidationSink final : public GenerationSink {
 public:
  /// `keys`: the schedule keys that could fail, or null when none can.
  explicit ValidationSink(const Dispatcher* keys) : keys_(keys) {}
  TaskPayload* next_payload() override { return &payload_; }
  void commit_task() override {
    if (keys_) keys_->check(payload_, next_id_);
    ++next_id_;
  }
  void chain_begin() override {}
  void chain_end() override {}
  void group_begin() override {}
  void group_end() override {}

 private:
  const Dispatcher* keys_;
  TaskPayload payload_;
  std::uint64_t next_id_ = 0;
};

/// Resolves every view of every task of an execution over `values` and evaluates the keys of
/// `keys` that can fail; throws the first error. Nothing is tracked or run. (`keys.start` resets
/// its placement counters; Engine::start resets them again before generation.)
inline void prevalidate(const Plan& plan, const BoundValues& values, Dispatcher& keys) {
  keys.start(values);
  Generator check(plan, values);
  ValidationSink sink(keys.needs_check() ? &keys : nullptr);
  check.run(sink, std::numeric_limits<std::int64_t>::max());
}

}  // namespace pto::wsp::engine
