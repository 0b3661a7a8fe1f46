#include "engine/access_analysis.hpp"

#include <algorithm>

namespace pto::wsp::engine {
namespace {

class Walker {
 public:
  explicit Walker(const Plan& plan) : plan_(plan) {}

  void visit(int index, bool distinct, bool in_csp) {
    if (index < 0) return;
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case NodeKind::Task:
        task(index, n, distinct && !in_csp);
        return;
      case NodeKind::Loop: {
        const std::size_t mark = vars_.size();
        if (n.var0 >= 0) vars_.push_back(n.var0);
        if (n.var1 >= 0) vars_.push_back(n.var1);
        visit(n.body, distinct && n.axis != AxisKind::Sparse, in_csp || n.has_csp);
        vars_.resize(mark);
        return;
      }
      case NodeKind::Cond:
      case NodeKind::Query:
        visit(n.then_branch, distinct, in_csp || n.kind == NodeKind::Query);
        visit(n.else_branch, distinct, in_csp || n.kind == NodeKind::Query);
        return;
      case NodeKind::Combine:
      case NodeKind::Sequential:
        for (int c : n.children) visit(c, distinct, in_csp);
        return;
      case NodeKind::Send:
      case NodeKind::Consume:
        visit(n.body, distinct, true);
        return;
      case NodeKind::Pipeline:
        for (const PlanProcess& p : n.processes) visit(p.body, distinct, true);
        return;
    }
  }

  std::vector<PlanAccess> take() { return std::move(accesses_); }

 private:
  void task(int index, const PlanNode& n, bool candidate) {
    for (std::size_t i = 0; i < n.args.size(); ++i) {
      const PlanArg& a = n.args[i];
      if (a.kind == ParamKind::Scalar) continue;
      accesses_.push_back(
          PlanAccess{index, static_cast<int>(i), a.tensor, candidate && selects_every_loop_var(a)});
    }
  }

  // The view's selects index the tensor by exactly the enclosing loop variables, each once.
  bool selects_every_loop_var(const PlanArg& a) const {
    std::vector<int> selected;
    for (const PlanViewOp& op : a.view) {
      if (op.kind != ViewOp::Kind::Select) return false;
      const auto& code = op.begin.code();
      if (code.size() != 1 || code[0].code != ExprProgram::Code::PushVar) return false;
      selected.push_back(code[0].index);
    }
    std::vector<int> loops = vars_;
    std::sort(selected.begin(), selected.end());
    std::sort(loops.begin(), loops.end());
    return selected == loops && std::adjacent_find(loops.begin(), loops.end()) == loops.end();
  }

  const Plan& plan_;
  std::vector<int> vars_;  ///< variables bound by the loops around the current node
  std::vector<PlanAccess> accesses_;
};

}  // namespace

std::vector<PlanAccess> plan_accesses(const Plan& plan) {
  Walker w(plan);
  w.visit(plan.root, true, false);
  return w.take();
}

}  // namespace pto::wsp::engine
