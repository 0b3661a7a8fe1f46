// The schedule of a workload (DESIGN §4.4): which scheduler queue each task goes to, which
// in-order stream inside it, when the timing policy releases it, which ready task goes first, and
// how many tasks may be in flight. A Schedule is an immutable value; each combinator returns a new
// one, and every policy it names is enforced by every backend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pto/wsp/core/expr.hpp"
#include "pto/wsp/kernel/kernel.hpp"

namespace pto::wsp {

enum class WindowMode : std::uint8_t {
  Stall,  ///< generation waits until a task finishes
  Abort,  ///< the execution fails with ExecutionError naming the window
};

/// At most `size` tasks are generated and not yet finished at any instant.
struct TaskWindow {
  std::int64_t size = 8192;
  WindowMode mode = WindowMode::Stall;
  bool operator==(const TaskWindow&) const = default;
};

/// What a C++ key callable sees of a task: its kernel, axis values and scalar arguments.
class TaskView {
 public:
  TaskView(std::uint64_t id, const Kernel& kernel, std::span<const AxisValue> axes,
           std::span<const ScalarValue> scalars)
      : id_(id), kernel_(&kernel), axes_(axes), scalars_(scalars) {}
  std::uint64_t id() const noexcept { return id_; }  ///< generation index
  const std::string& kernel() const noexcept { return kernel_->name(); }
  std::span<const AxisValue> axes() const noexcept { return axes_; }
  /// The value of axis `name`; ScheduleError naming the kernel and its axes when it has none.
  std::int64_t get(std::string_view name) const;
  /// Scalar argument `name` of the task's kernel, as an integer.
  std::int64_t param(std::string_view name) const;

 private:
  std::uint64_t id_;
  const Kernel* kernel_;
  std::span<const AxisValue> axes_;
  std::span<const ScalarValue> scalars_;
};

using KeyFunction = std::function<std::int64_t(const TaskView&)>;

/// A scalar key over a task: an expression over axis names (`axis("h") % 4`), task scalar
/// parameters (`param("tier")`), symbols and arrays of the workload; or a C++ callable. Keys are
/// evaluated once per task, when it is generated.
class Key {
 public:
  Key(Expr expr);  // NOLINT: implicit, so `stream_by(axis("h") % 4)` reads naturally
  Key(Var var) : Key(static_cast<Expr>(var)) {}  // NOLINT
  Key(KeyFunction fn, std::string name = "fn");
  template <typename F>
  requires std::is_invocable_r_v<std::int64_t, F, const TaskView&> &&
      (!std::is_convertible_v<F, Expr>)Key(F fn)
      : Key(KeyFunction(std::move(fn))) {}  // NOLINT

  bool is_expr() const noexcept { return !fn_; }
  const Expr& expr() const noexcept { return expr_; }
  const KeyFunction& function() const noexcept { return fn_; }
  std::string to_string() const;

 private:
  Expr expr_{0};
  KeyFunction fn_;
  std::string name_;
};

/// An axis of the task, by name: keys are compiled against each kernel's axes.
Expr axis(std::string name);

struct DispatchPolicy {
  enum class Kind : std::uint8_t { RoundRobin, Affinity, Hash, By, WorkSteal };
  Kind kind = Kind::RoundRobin;
  int queues = 0;          ///< round_robin(n): n; otherwise 0 (the schedule's queue count)
  std::optional<Key> key;  ///< affinity/hash/dispatch_by; work_steal: the home-queue key
  std::string to_string() const;
};

/// Task k (generation order) goes to queue k mod n; sets the schedule's queue count to n.
DispatchPolicy round_robin(int n);
/// Queue = key mod queues (non-negative): equal keys share a queue, neighbours spread.
DispatchPolicy affinity(Key key);
/// Queue = mix(key) mod queues: equal keys share a queue, nearby keys scatter.
DispatchPolicy hash(Key key);
/// Queue = key, which must lie in [0, queues) (ExecutionError naming the task otherwise).
DispatchPolicy dispatch_by(Key key);
/// Home queue = generation index mod queues (or home_key mod queues); a worker whose queues have
/// nothing to start takes a ready task from the queue with the most.
DispatchPolicy work_steal();
DispatchPolicy work_steal(Key home_key);

struct TimingPolicy {
  enum class Kind : std::uint8_t { Immediate, Batched, Interleaved, RateLimit };
  Kind kind = Kind::Immediate;
  std::int64_t n = 0;  ///< batched: group size; interleaved: streams; rate_limit: starts per ms
  std::string to_string() const;
};

/// Release a ready task as soon as a worker of its queue is free.
TimingPolicy immediate();
/// Release a queue's startable tasks in groups of n; a smaller group only when nothing else
/// could make progress (end of the workload, or everything else waits on the group).
TimingPolicy batched(std::int64_t n);
/// Release round-robin across the queue's n streams, skipping streams with nothing to start.
TimingPolicy interleaved(std::int64_t n);
/// At most r task starts in any 1 ms window, over the whole program (wall clock on cpu,
/// simulated time on sim). Waiting workers sleep until the next start is allowed.
TimingPolicy rate_limit(std::int64_t r);

struct IssuePolicy {
  std::optional<Key> priority;  ///< none: ready order (FIFO); else the lowest key first
  std::string to_string() const;
};

/// Among the tasks of a queue that may start (stream heads, with streams), lowest key first;
/// ties by generation order.
IssuePolicy priority(Key key);
IssuePolicy fifo();

/// A schedule: the defaults are one queue, no streams, immediate timing, FIFO issue and the
/// compile options' window.
class Schedule {
 public:
  Schedule dispatch(DispatchPolicy policy) const;
  Schedule queues(int n) const;
  Schedule streams(int n) const;
  Schedule stream_by(Key key) const;
  Schedule timing(TimingPolicy policy) const;
  Schedule task_graph(TaskWindow window) const;
  Schedule issue(IssuePolicy policy) const;

  const DispatchPolicy& dispatch_policy() const noexcept { return dispatch_; }
  /// The queue count: round_robin's n, else queues(n), else 1.
  int num_queues() const noexcept;
  /// Whether round_robin(n) or queues(n) set the queue count (the sim backend otherwise uses one
  /// queue per AICPU).
  bool queues_given() const noexcept {
    return queues_ > 0 ||
           (dispatch_.kind == DispatchPolicy::Kind::RoundRobin && dispatch_.queues > 0);
  }
  /// Streams per queue: streams(n), or interleaved(n)'s n when none were set; 0: no streams.
  int num_streams() const noexcept;
  const std::optional<Key>& stream_key() const noexcept { return stream_key_; }
  const TimingPolicy& timing_policy() const noexcept { return timing_; }
  const std::optional<TaskWindow>& window() const noexcept { return window_; }
  const IssuePolicy& issue_policy() const noexcept { return issue_; }

  /// Checks that the policies fit together (ScheduleError naming both otherwise): round_robin(n)
  /// and queues(m) agree; stream_by and interleaved need streams (interleaved(n) implies
  /// streams(n) when none were set, and must equal them otherwise); batched(n) with streams needs
  /// at least n streams; work_steal moves single tasks, so it takes immediate or rate_limit
  /// timing; priority and interleaved cannot both order releases.
  void validate() const;
  /// `dispatch(round_robin(4)).streams(2).stream_by(h % 2).timing(batched(4))`
  std::string to_string() const;

 private:
  DispatchPolicy dispatch_{};
  int queues_ = 0;   ///< set by queues(n); 0: unset
  int streams_ = 0;  ///< 0: none
  std::optional<Key> stream_key_;
  TimingPolicy timing_{};
  std::optional<TaskWindow> window_;
  IssuePolicy issue_{};
};

}  // namespace pto::wsp
