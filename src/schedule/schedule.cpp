// Schedule values: policy constructors, combinators, their cross-checks and printing.
#include "pto/wsp/schedule/schedule.hpp"

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

constexpr std::int64_t kMaxRate = 1'000'000;

void require_positive(std::int64_t n, std::string_view what) {
  if (n < 1) throw ScheduleError(fmt::format("{}({}): the argument must be at least 1", what, n));
}

std::string axes_list(std::span<const AxisValue> axes) {
  std::string out;
  for (const AxisValue& a : axes) out += fmt::format("{}{}", out.empty() ? "" : ", ", a.name);
  return out.empty() ? "none" : out;
}

}  // namespace

std::int64_t TaskView::get(std::string_view name) const {
  for (const AxisValue& a : axes_) {
    if (a.name == name) return a.value;
  }
  throw ScheduleError(
      fmt::format("schedule key: task {} of kernel '{}' has no axis '{}' (axes: {})", id_,
                  kernel_->name(), name, axes_list(axes_)));
}

std::int64_t TaskView::param(std::string_view name) const {
  const auto& params = kernel_->signature().params();
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].name == name && params[i].kind == ParamKind::Scalar) {
      return scalars_[i].as_int();
    }
  }
  throw ScheduleError(
      fmt::format("schedule key: kernel '{}' has no scalar parameter '{}'", kernel_->name(), name));
}

Key::Key(Expr expr) : expr_(std::move(expr)) {}

Key::Key(KeyFunction fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)) {
  if (!fn_) throw ScheduleError("Key: the key function is empty");
}

std::string Key::to_string() const {
  return is_expr() ? expr_.to_string() : "<" + name_ + ">";
}

Expr axis(std::string name) {
  return Var(std::move(name));
}

std::string DispatchPolicy::to_string() const {
  switch (kind) {
    case Kind::RoundRobin:
      return fmt::format("round_robin({})", queues);
    case Kind::Affinity:
      return fmt::format("affinity({})", key->to_string());
    case Kind::Hash:
      return fmt::format("hash({})", key->to_string());
    case Kind::By:
      return fmt::format("dispatch_by({})", key->to_string());
    case Kind::WorkSteal:
      return key ? fmt::format("work_steal({})", key->to_string()) : "work_steal()";
  }
  return "?";
}

DispatchPolicy round_robin(int n) {
  require_positive(n, "round_robin");
  return DispatchPolicy{DispatchPolicy::Kind::RoundRobin, n, std::nullopt};
}
DispatchPolicy affinity(Key key) {
  return DispatchPolicy{DispatchPolicy::Kind::Affinity, 0, std::move(key)};
}
DispatchPolicy hash(Key key) {
  return DispatchPolicy{DispatchPolicy::Kind::Hash, 0, std::move(key)};
}
DispatchPolicy dispatch_by(Key key) {
  return DispatchPolicy{DispatchPolicy::Kind::By, 0, std::move(key)};
}
DispatchPolicy work_steal() {
  return DispatchPolicy{DispatchPolicy::Kind::WorkSteal, 0, std::nullopt};
}
DispatchPolicy work_steal(Key home_key) {
  return DispatchPolicy{DispatchPolicy::Kind::WorkSteal, 0, std::move(home_key)};
}

std::string TimingPolicy::to_string() const {
  switch (kind) {
    case Kind::Immediate:
      return "immediate";
    case Kind::Batched:
      return fmt::format("batched({})", n);
    case Kind::Interleaved:
      return fmt::format("interleaved({})", n);
    case Kind::RateLimit:
      return fmt::format("rate_limit({})", n);
  }
  return "?";
}

TimingPolicy immediate() {
  return TimingPolicy{TimingPolicy::Kind::Immediate, 0};
}
TimingPolicy batched(std::int64_t n) {
  require_positive(n, "batched");
  return TimingPolicy{TimingPolicy::Kind::Batched, n};
}
TimingPolicy interleaved(std::int64_t n) {
  require_positive(n, "interleaved");
  return TimingPolicy{TimingPolicy::Kind::Interleaved, n};
}
TimingPolicy rate_limit(std::int64_t r) {
  require_positive(r, "rate_limit");
  if (r > kMaxRate) {
    throw ScheduleError(fmt::format(
        "rate_limit({}): at most {} starts per millisecond (one per nanosecond)", r, kMaxRate));
  }
  return TimingPolicy{TimingPolicy::Kind::RateLimit, r};
}

std::string IssuePolicy::to_string() const {
  return priority ? fmt::format("priority({})", priority->to_string()) : "fifo";
}
IssuePolicy priority(Key key) {
  return IssuePolicy{std::move(key)};
}
IssuePolicy fifo() {
  return IssuePolicy{};
}

Schedule Schedule::dispatch(DispatchPolicy policy) const {
  Schedule s = *this;
  s.dispatch_ = std::move(policy);
  return s;
}
Schedule Schedule::queues(int n) const {
  require_positive(n, "queues");
  Schedule s = *this;
  s.queues_ = n;
  return s;
}
Schedule Schedule::streams(int n) const {
  require_positive(n, "streams");
  Schedule s = *this;
  s.streams_ = n;
  return s;
}
Schedule Schedule::stream_by(Key key) const {
  Schedule s = *this;
  s.stream_key_ = std::move(key);
  return s;
}
Schedule Schedule::timing(TimingPolicy policy) const {
  Schedule s = *this;
  s.timing_ = policy;
  return s;
}
Schedule Schedule::task_graph(TaskWindow window) const {
  if (window.size < 1) {
    throw ScheduleError(fmt::format(
        "task_graph(TaskWindow({})): the window must hold at least one task", window.size));
  }
  Schedule s = *this;
  s.window_ = window;
  return s;
}
Schedule Schedule::issue(IssuePolicy policy) const {
  Schedule s = *this;
  s.issue_ = std::move(policy);
  return s;
}

int Schedule::num_queues() const noexcept {
  if (dispatch_.kind == DispatchPolicy::Kind::RoundRobin && dispatch_.queues > 0) {
    return dispatch_.queues;
  }
  return queues_ > 0 ? queues_ : 1;
}

int Schedule::num_streams() const noexcept {
  if (streams_ == 0 && timing_.kind == TimingPolicy::Kind::Interleaved) {
    return static_cast<int>(timing_.n);
  }
  return streams_;
}

void Schedule::validate() const {
  const std::string where = to_string();
  if (dispatch_.kind == DispatchPolicy::Kind::RoundRobin && dispatch_.queues > 0 && queues_ > 0 &&
      dispatch_.queues != queues_) {
    throw ScheduleError(fmt::format("schedule {}: round_robin({}) disagrees with queues({})", where,
                                    dispatch_.queues, queues_));
  }
  if (stream_key_ && num_streams() == 0) {
    throw ScheduleError(fmt::format(
        "schedule {}: stream_by needs a stream count: add streams(n) (stream = key mod n)", where));
  }
  const std::int64_t n = timing_.n;
  switch (timing_.kind) {
    case TimingPolicy::Kind::Interleaved:
      if (num_streams() != n) {
        throw ScheduleError(fmt::format(
            "schedule {}: interleaved({}) rotates over {} streams but the schedule has streams({})",
            where, n, n, streams_));
      }
      if (issue_.priority) {
        throw ScheduleError(fmt::format(
            "schedule {}: priority and interleaved both order releases across streams; keep one",
            where));
      }
      break;
    case TimingPolicy::Kind::Batched:
      if (num_streams() > 0 && num_streams() < n) {
        throw ScheduleError(
            fmt::format("schedule {}: batched({}) with streams({}) can never fill a group (a "
                        "stream starts one task at a time); use at least {} streams",
                        where, n, num_streams(), n));
      }
      break;
    default:
      break;
  }
  if (dispatch_.kind == DispatchPolicy::Kind::WorkSteal &&
      (timing_.kind == TimingPolicy::Kind::Batched ||
       timing_.kind == TimingPolicy::Kind::Interleaved)) {
    throw ScheduleError(fmt::format(
        "schedule {}: work_steal moves single tasks between queues; it combines with immediate "
        "or rate_limit timing, not {}",
        where, timing_.to_string()));
  }
}

std::string Schedule::to_string() const {
  std::string out = dispatch_.kind == DispatchPolicy::Kind::RoundRobin && dispatch_.queues == 0
                        ? fmt::format("dispatch(round_robin({}))", num_queues())
                        : fmt::format("dispatch({})", dispatch_.to_string());
  if (queues_ > 0) out += fmt::format(".queues({})", queues_);
  if (streams_ > 0) out += fmt::format(".streams({})", streams_);
  if (stream_key_) out += fmt::format(".stream_by({})", stream_key_->to_string());
  if (timing_.kind != TimingPolicy::Kind::Immediate) {
    out += fmt::format(".timing({})", timing_.to_string());
  }
  if (issue_.priority) out += fmt::format(".issue({})", issue_.to_string());
  if (window_) {
    out += fmt::format(".task_graph(TaskWindow({}, {}))", window_->size,
                       window_->mode == WindowMode::Stall ? "STALL" : "ABORT");
  }
  return out;
}

}  // namespace pto::wsp
