// Placement of a task when it is generated (DESIGN §4.7: "queue and stream are fixed when a task
// is generated"): its home queue, its stream and position in that stream, and its priority key.
// Keys are compiled once per kernel node of the plan, so evaluating one costs nanoseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/task_payload.hpp"
#include "pto/wsp/core/expr_program.hpp"
#include "pto/wsp/schedule/schedule.hpp"
#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::engine {

/// A schedule key compiled against every kernel node of a plan.
class CompiledKey {
 public:
  CompiledKey() = default;
  /// ScheduleError naming the key, the kernel and what it lacks (an axis, a scalar parameter, a
  /// symbol or array the workload does not use).
  CompiledKey(const Key& key, const Plan& plan, std::string_view role);
  bool defined() const noexcept { return defined_; }
  /// Whether evaluating it can raise (a callable; division, shifts by a variable amount, array
  /// loads): only such keys need checking before anything runs.
  bool may_fail() const noexcept { return may_fail_; }
  std::int64_t evaluate(const Plan& plan, const BoundValues& values, const TaskPayload& task,
                        std::uint64_t id) const;

 private:
  bool defined_ = false;
  bool may_fail_ = false;
  KeyFunction fn_;
  std::vector<ExprProgram> by_node_;  ///< empty programs for non-kernel nodes
  std::vector<std::uint8_t> uses_params_;
};

struct Placement {
  int queue = 0;
  int stream = -1;
  std::uint64_t stream_seq = 0;  ///< position in its stream (issue order)
  std::int64_t priority = 0;
};

class Dispatcher {
 public:
  Dispatcher(const Plan& plan, const Schedule& schedule);
  /// Resets the counters for an execution over `values` (which must outlive it).
  void start(const BoundValues& values);
  /// Places task `id` (generation order). Generation role only. Throws ExecutionError when a
  /// dispatch_by key falls outside [0, queues) or a key's evaluation fails, naming the task.
  Placement place(const TaskPayload& task, std::uint64_t id) {
    if (plain_round_robin_) return Placement{round_robin(id)};  // the common case, inline
    return place_general(task, id);
  }
  /// Evaluates every key of a task that could fail, without changing any counter
  /// (prevalidation); `needs_check()` says whether there is any.
  void check(const TaskPayload& task, std::uint64_t id) const;
  bool needs_check() const noexcept;
  /// Every task goes to queue 0 with no stream and no priority (the default schedule).
  bool trivial() const noexcept {
    return queues_ == 1 && streams_ == 0 && !priority_key_.defined() && !dispatch_key_.defined() &&
           kind_ != DispatchPolicy::Kind::By;
  }
  int queues() const noexcept { return queues_; }
  int streams() const noexcept { return streams_; }

 private:
  int home_queue(const TaskPayload& task, std::uint64_t id) const;
  /// Task `id`'s queue in turn (a mask when the queue count is a power of two).
  int round_robin(std::uint64_t id) const noexcept {
    return static_cast<int>(queues_pow2_ ? id & (static_cast<std::uint64_t>(queues_) - 1)
                                         : id % static_cast<std::uint64_t>(queues_));
  }
  Placement place_general(const TaskPayload& task, std::uint64_t id);

  const Plan& plan_;
  const BoundValues* values_ = nullptr;
  DispatchPolicy::Kind kind_;
  int queues_ = 1;
  int streams_ = 0;
  bool plain_round_robin_ = false;  ///< round robin, no streams, no priority
  bool queues_pow2_ = true;         ///< queues_ is a power of two
  CompiledKey dispatch_key_, stream_key_, priority_key_;
  std::vector<std::uint64_t> next_stream_;  ///< per queue: round-robin stream counter
  std::vector<std::uint64_t> stream_seq_;   ///< per (queue, stream): tasks placed so far
};

}  // namespace pto::wsp::engine
