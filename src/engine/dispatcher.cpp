// Key compilation and task placement at generation time.
#include "engine/dispatcher.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp::engine {
namespace {

constexpr std::size_t kMaxKeyParams = 16;

std::int64_t floor_mod(std::int64_t v, std::int64_t n) {
  const std::int64_t r = v % n;
  return r < 0 ? r + n : r;
}

// splitmix64's finaliser: neighbouring keys land on unrelated queues.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::string names(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += fmt::format("{}{}", out.empty() ? "" : ", ", s);
  return out.empty() ? "none" : out;
}

// Resolves a key's leaves against one kernel node.
class KeyScope final : public ExprScope {
 public:
  KeyScope(const Plan& plan, const PlanNode& node, std::string where)
      : plan_(plan), node_(node), where_(std::move(where)) {}
  int var_index(const VarDecl& var) override {
    const auto& axes = node_.axis_names;
    const auto it = std::find(axes.begin(), axes.end(), var.name);
    if (it == axes.end()) {
      throw ScheduleError(
          fmt::format("{} has no axis '{}' (axes: {})", where_, var.name, names(axes)));
    }
    return static_cast<int>(it - axes.begin());
  }
  int symbol_index(std::string_view name) override { return find(plan_.symbols, name, "symbol"); }
  int param_index(std::string_view name) override {
    const Kernel& k = plan_.kernels[static_cast<std::size_t>(node_.kernel)];
    const int i = k.signature().find(name);
    if (i < 0 || k.signature().params()[static_cast<std::size_t>(i)].kind != ParamKind::Scalar) {
      throw ScheduleError(fmt::format("{}: param({}) is not a scalar parameter of {}", where_, name,
                                      k.signature().to_string()));
    }
    uses_params = true;
    return i;
  }
  int slot_index(std::string_view name) override { return find(plan_.slots, name, "slot"); }
  int array_index(std::string_view name) override { return find(plan_.arrays, name, "array"); }
  bool uses_params = false;

 private:
  int find(const std::vector<std::string>& table, std::string_view name, const char* what) {
    const auto it = std::find(table.begin(), table.end(), name);
    if (it == table.end()) {
      throw ScheduleError(fmt::format("{}: {} '{}' is not used by the workload (its {}s: {})",
                                      where_, what, name, what, names(table)));
    }
    return static_cast<int>(it - table.begin());
  }
  const Plan& plan_;
  const PlanNode& node_;
  std::string where_;
};

// Whether a compiled key can raise when evaluated: division or modulo by a variable or zero,
// shifts by a variable or bad amount, array loads.
bool can_raise(const ExprProgram& p) {
  using Code = ExprProgram::Code;
  for (const ExprProgram::Instr& i : p.code()) {
    switch (i.code) {
      case Code::Div:
      case Code::Mod:
      case Code::Shl:
      case Code::Shr:
      case Code::LoadArray:
        return true;
      case Code::DivK:
      case Code::ModK:
        if (i.imm == 0) return true;
        break;
      case Code::ShlK:
      case Code::ShrK:
        if (i.imm < 0 || i.imm > 63) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

}  // namespace

CompiledKey::CompiledKey(const Key& key, const Plan& plan, std::string_view role) : defined_(true) {
  if (!key.is_expr()) {
    fn_ = key.function();
    may_fail_ = true;  // a callable may throw
    return;
  }
  by_node_.resize(plan.nodes.size());
  uses_params_.assign(plan.nodes.size(), 0);
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlanNode& n = plan.nodes[i];
    if (n.kind != NodeKind::Task) continue;
    KeyScope scope(
        plan, n,
        fmt::format("schedule key {} '{}': kernel '{}' (plan node {})", role, key.to_string(),
                    plan.kernels[static_cast<std::size_t>(n.kernel)].name(), i));
    by_node_[i] = ExprProgram::compile(key.expr(), scope);
    uses_params_[i] = scope.uses_params;
    const Kernel& k = plan.kernels[static_cast<std::size_t>(n.kernel)];
    if (scope.uses_params && k.signature().params().size() > kMaxKeyParams) {
      throw ScheduleError(fmt::format(
          "schedule key {} '{}': param() reads kernels of at most {} parameters; '{}' has {}", role,
          key.to_string(), kMaxKeyParams, k.name(), k.signature().params().size()));
    }
    may_fail_ = may_fail_ || can_raise(by_node_[i]);
  }
}

std::int64_t CompiledKey::evaluate(const Plan& plan, const BoundValues& values,
                                   const TaskPayload& task, std::uint64_t id) const {
  const auto node = static_cast<std::size_t>(task.node);
  const PlanNode& n = plan.nodes[node];
  const Kernel& k = plan.kernels[static_cast<std::size_t>(n.kernel)];
  if (fn_) {
    std::array<AxisValue, kMaxTaskAxes> axes;
    for (int a = 0; a < task.num_axes; ++a) {
      axes[static_cast<std::size_t>(a)] =
          AxisValue{n.axis_names[static_cast<std::size_t>(a)], task.axis_values[a]};
    }
    return fn_(
        TaskView(id, k, std::span<const AxisValue>(axes.data(), task.num_axes), task.scalars));
  }
  EvalContext ctx = values.context(task.axis_values.data());
  std::array<std::int64_t, kMaxKeyParams> params;  // filled only for keys that read params
  if (uses_params_[node]) {
    for (std::size_t i = 0; i < task.scalars.size(); ++i) params[i] = task.scalars[i].as_int();
    ctx.params = params.data();
  }
  return by_node_[node].evaluate(ctx);
}

Dispatcher::Dispatcher(const Plan& plan, const Schedule& schedule)
    : plan_(plan),
      kind_(schedule.dispatch_policy().kind),
      queues_(schedule.num_queues()),
      streams_(schedule.num_streams()) {
  schedule.validate();
  if (const auto& k = schedule.dispatch_policy().key) {
    dispatch_key_ = CompiledKey(*k, plan, "of dispatch");
  }
  if (const auto& k = schedule.stream_key()) stream_key_ = CompiledKey(*k, plan, "of stream_by");
  if (const auto& k = schedule.issue_policy().priority) {
    priority_key_ = CompiledKey(*k, plan, "of priority");
  }
  plain_round_robin_ = kind_ == DispatchPolicy::Kind::RoundRobin && streams_ == 0 &&
                       !priority_key_.defined() && !dispatch_key_.defined();
  queues_pow2_ = (queues_ & (queues_ - 1)) == 0;
}

void Dispatcher::start(const BoundValues& values) {
  values_ = &values;
  next_stream_.assign(static_cast<std::size_t>(queues_), 0);
  stream_seq_.assign(static_cast<std::size_t>(queues_) * static_cast<std::size_t>(streams_), 0);
}

int Dispatcher::home_queue(const TaskPayload& task, std::uint64_t id) const {
  const auto n = static_cast<std::uint64_t>(queues_);
  switch (kind_) {
    case DispatchPolicy::Kind::RoundRobin:
      return round_robin(id);
    case DispatchPolicy::Kind::Affinity:
      return static_cast<int>(
          floor_mod(dispatch_key_.evaluate(plan_, *values_, task, id), queues_));
    case DispatchPolicy::Kind::Hash:
      return static_cast<int>(
          mix(static_cast<std::uint64_t>(dispatch_key_.evaluate(plan_, *values_, task, id))) % n);
    case DispatchPolicy::Kind::By: {
      const std::int64_t q = dispatch_key_.evaluate(plan_, *values_, task, id);
      if (q < 0 || q >= queues_) {
        const PlanNode& node = plan_.nodes[static_cast<std::size_t>(task.node)];
        std::string axes;
        for (int a = 0; a < task.num_axes; ++a) {
          axes += fmt::format("{}{}={}", a ? ", " : "",
                              node.axis_names[static_cast<std::size_t>(a)], task.axis_values[a]);
        }
        throw ExecutionError(fmt::format(
            "dispatch_by: task {} ({}[{}]) was sent to queue {}, outside [0, {})", id,
            plan_.kernels[static_cast<std::size_t>(node.kernel)].name(), axes, q, queues_));
      }
      return static_cast<int>(q);
    }
    case DispatchPolicy::Kind::WorkSteal:
      return dispatch_key_.defined()
                 ? static_cast<int>(
                       floor_mod(dispatch_key_.evaluate(plan_, *values_, task, id), queues_))
                 : round_robin(id);
  }
  return 0;
}

Placement Dispatcher::place_general(const TaskPayload& task, std::uint64_t id) {
  Placement p;
  p.queue = home_queue(task, id);
  if (streams_ > 0) {
    const auto q = static_cast<std::size_t>(p.queue);
    p.stream =
        stream_key_.defined()
            ? static_cast<int>(floor_mod(stream_key_.evaluate(plan_, *values_, task, id), streams_))
            : static_cast<int>(next_stream_[q]++ % static_cast<std::uint64_t>(streams_));
    p.stream_seq =
        stream_seq_[q * static_cast<std::size_t>(streams_) + static_cast<std::size_t>(p.stream)]++;
  }
  if (priority_key_.defined()) p.priority = priority_key_.evaluate(plan_, *values_, task, id);
  return p;
}

bool Dispatcher::needs_check() const noexcept {
  return kind_ == DispatchPolicy::Kind::By || dispatch_key_.may_fail() || stream_key_.may_fail() ||
         priority_key_.may_fail();
}

void Dispatcher::check(const TaskPayload& task, std::uint64_t id) const {
  if (kind_ == DispatchPolicy::Kind::By || dispatch_key_.may_fail()) home_queue(task, id);
  if (stream_key_.may_fail()) stream_key_.evaluate(plan_, *values_, task, id);
  if (priority_key_.may_fail()) priority_key_.evaluate(plan_, *values_, task, id);
}

}  // namespace pto::wsp::engine
