#include "backends/sim/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/tile/cost.hpp"

namespace pto::wsp::sim {
namespace {

// A kernel's cost expression (Kernel::with_cost(core, ns)) resolved against one task node: the
// task's axes by position, its parameters by index.
class NodeCostScope final : public ExprScope {
 public:
  NodeCostScope(const Plan& plan, const PlanNode& node, int index)
      : plan_(plan), node_(node), index_(index) {}
  int var_index(const VarDecl& var) override {
    const auto& axes = node_.axis_names;
    const auto it = std::find(axes.begin(), axes.end(), var.name);
    if (it == axes.end()) {
      std::string names;
      for (const std::string& a : axes) names += (names.empty() ? "" : ", ") + a;
      throw CompileError(fmt::format(
          "sim: kernel '{}' (plan node {}): its cost expression reads axis '{}', which the task "
          "does not have (its axes: {})",
          kernel().name(), index_, var.name, names.empty() ? "none" : names));
    }
    return static_cast<int>(it - axes.begin());
  }
  int param_index(std::string_view name) override {
    uses_params = true;
    return cost_expr_param_index(kernel().signature(), name, "cost expression");
  }
  // Refused by Kernel::with_cost already.
  int symbol_index(std::string_view name) override { return refuse(name); }
  int slot_index(std::string_view name) override { return refuse(name); }
  int array_index(std::string_view name) override { return refuse(name); }

  bool uses_params = false;

 private:
  const Kernel& kernel() const { return plan_.kernels[static_cast<std::size_t>(node_.kernel)]; }
  int refuse(std::string_view name) const {
    throw CompileError(
        fmt::format("sim: kernel '{}': its cost expression reads '{}'", kernel().name(), name));
  }
  const Plan& plan_;
  const PlanNode& node_;
  int index_;
};

}  // namespace

CostModel::CostModel(const Plan& plan, const Machine& m) : plan_(plan), machine_(m) {
  for (const Kernel& k : plan.kernels) {
    gm_bytes_.push_back(0.0);
    const auto it = m.kernels.find(k.name());
    if (it != m.kernels.end()) {
      fixed_.push_back(
          Cost{it->second.core, static_cast<std::int64_t>(std::llround(it->second.ns))});
    } else if (k.cost()) {
      fixed_.push_back(std::nullopt);
    } else if (k.tile_program()) {
      const pto::ProgramCost c = pto::analyze_cost(*k.tile_program(), m.tile_costs);
      fixed_.push_back(Cost{c.core, checked_ns(k, c.cycles, 0.0)});
      gm_bytes_.back() = c.gm_bytes;
      moves_gm_bytes_ = moves_gm_bytes_ || c.gm_bytes > 0;
      // As for costs: a transfer through the shared HBM must fit simulated time.
      const double transfer_ns = m.hbm_bytes_per_ns > 0 ? c.gm_bytes / m.hbm_bytes_per_ns : 0.0;
      if (!(transfer_ns <= static_cast<double>(kMaxCostNs))) {
        throw CompileError(fmt::format(
            "sim: kernel '{}' moves {} bytes, {} ns through the HBM at field 'hbm_bytes_per_ns' "
            "= {} bytes/ns: beyond simulated time (1e15 ns)",
            k.name(), c.gm_bytes, transfer_ns, m.hbm_bytes_per_ns));
      }
    } else {
      throw CompileError(fmt::format(
          "sim: kernel '{}' has no cost on the NPU model: write it as a tile kernel "
          "(pto::make_tile_kernel), give it a cost function (Kernel::with_cost) or a measured "
          "cost in the machine description (\"kernels\": {{\"{}\": {{\"core\": \"vector\", "
          "\"ns\": ...}}}}, written by `pto-wsp calibrate`)",
          k.name(), k.name()));
    }
  }
  // Cost expressions, compiled per task node: a task's cost is then read off its payload.
  exprs_.resize(plan.nodes.size());
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlanNode& n = plan.nodes[i];
    if (n.kind != NodeKind::Task || fixed_[static_cast<std::size_t>(n.kernel)]) continue;
    const Kernel& k = plan.kernels[static_cast<std::size_t>(n.kernel)];
    if (!k.cost_expr()) continue;
    NodeCostScope scope(plan, n, static_cast<int>(i));
    ExprProgram program = ExprProgram::compile(k.cost_expr()->ns, scope);
    const auto& code = program.code();
    const int param =
        code.size() == 1 && code[0].code == ExprProgram::Code::PushParam ? code[0].index : -1;
    exprs_[i] = NodeExpr{k.cost_expr()->core, std::move(program), scope.uses_params, param};
  }
  quick_.assign(plan.nodes.size(), Quick{});
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlanNode& n = plan.nodes[i];
    if (exprs_[i]) {
      quick_[i].param = exprs_[i]->param;
      quick_[i].core = exprs_[i]->core;
    }
    quick_[i].at_generation =
        n.kind == NodeKind::Task && (fixed_[static_cast<std::size_t>(n.kernel)] || exprs_[i]);
  }
}

CostModel::Cost CostModel::of_in_general(const engine::TaskRecord& t) const {
  // A node has a compiled expression only when its kernel has no measured cost.
  if (const auto& e = exprs_[static_cast<std::size_t>(t.payload.node)]) {
    if (e->param >= 0) {  // the common `param("ns")`
      const std::int64_t ns = t.payload.scalars[static_cast<std::size_t>(e->param)].as_int();
      if (ns >= 0 && ns <= kMaxCostNs) return Cost{e->core, ns};
    }
    std::array<std::int64_t, kMaxCostExprParams> params;  // filled only when read
    EvalContext ctx{t.payload.axis_values.data(), nullptr, nullptr, nullptr, nullptr};
    if (e->uses_params) {
      const std::size_t n_args = t.payload.scalars.size();
      for (std::size_t i = 0; i < n_args; ++i) params[i] = t.payload.scalars[i].as_int();
      ctx.params = params.data();
    }
    try {
      const std::int64_t ns = e->program.evaluate(ctx);
      if (ns >= 0 && ns <= kMaxCostNs) return Cost{e->core, ns};
    } catch (const PtoError&) {
      // reported below
    }
    // Out of range, or the expression raised: the kernel's cost() evaluates the same expression
    // and reports it as for any cost function, naming the task.
  }
  const PlanNode& n = plan_.nodes[static_cast<std::size_t>(t.payload.node)];
  if (const auto& f = fixed_[static_cast<std::size_t>(n.kernel)]) return *f;
  const KernelCost c = engine::call_cost(plan_, t.payload);
  return Cost{c.core,
              checked_ns(plan_.kernels[static_cast<std::size_t>(n.kernel)], c.cycles, c.ns)};
}

std::int64_t CostModel::checked_ns(const Kernel& k, double cycles, double extra_ns) const {
  const double ns = machine_.ns(cycles) + extra_ns;
  if (!(ns >= 0.0) || ns > static_cast<double>(kMaxCostNs)) {
    throw KernelError(fmt::format("sim: kernel '{}' returned a bad cost ({} cycles + {} ns)",
                                  k.name(), cycles, extra_ns));
  }
  // llround for 0 <= ns < 2^53, without the library call: the fraction is exact there.
  const auto whole = static_cast<std::int64_t>(ns);
  return whole + (ns - static_cast<double>(whole) >= 0.5 ? 1 : 0);
}

}  // namespace pto::wsp::sim
