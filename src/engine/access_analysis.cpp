#include "engine/access_analysis.hpp"

#include <algorithm>

namespace pto::wsp::engine {
namespace {

class Walker {
 public:
  explicit Walker(const Plan& plan) : plan_(plan) {}

  void visit(int index) {
    if (index < 0) return;
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(index)];
    if (n.kind == NodeKind::Task) {
      task(index, n);
      return;
    }
    path_.push_back(index);
    switch (n.kind) {
      case NodeKind::Task:
        break;
      case NodeKind::Loop:
      case NodeKind::Send:
      case NodeKind::Consume:
        visit(n.body);
        break;
      case NodeKind::Cond:
      case NodeKind::Query:
        visit(n.then_branch);
        visit(n.else_branch);
        break;
      case NodeKind::Combine:
      case NodeKind::Sequential:
        for (int c : n.children) visit(c);
        break;
      case NodeKind::Pipeline:
        for (const PlanProcess& p : n.processes) visit(p.body);
        break;
    }
    path_.pop_back();
  }

  std::vector<PlanAccess> take() { return std::move(accesses_); }

 private:
  void task(int index, const PlanNode& n) {
    for (std::size_t i = 0; i < n.args.size(); ++i) {
      const PlanArg& a = n.args[i];
      if (a.kind == ParamKind::Scalar) continue;
      PlanAccess access{index, static_cast<int>(i), a.tensor, path_, true, {}, {}};
      for (const PlanViewOp& op : a.view) {
        const auto& code = op.begin.code();
        if (op.kind != ViewOp::Kind::Select || code.size() != 1 ||
            code[0].code != ExprProgram::Code::PushVar) {
          access.plain = false;
          break;
        }
        access.select_ops.emplace_back(op.dim, code[0].index);
        access.selects.push_back(code[0].index);
      }
      std::sort(access.selects.begin(), access.selects.end());
      if (std::adjacent_find(access.selects.begin(), access.selects.end()) !=
          access.selects.end()) {
        access.plain = false;
      }
      accesses_.push_back(std::move(access));
    }
  }

  const Plan& plan_;
  std::vector<int> path_;
  std::vector<PlanAccess> accesses_;
};

bool binds(const std::vector<int>& sorted_vars, int var) {
  return var >= 0 && std::binary_search(sorted_vars.begin(), sorted_vars.end(), var);
}

}  // namespace

std::vector<PlanAccess> plan_accesses(const Plan& plan) {
  Walker w(plan);
  w.visit(plan.root);
  return w.take();
}

namespace {

// Checks the nodes around one access: loops bind only variables of `v` (over distinct values)
// or are for_each loops binding none of them; combines have every access of `all` below them in
// one branch; no CSP node. Returns how many variables of `v` the loops bind, or -1.
int ordered_path(const Plan& plan, const PlanAccess& a, const std::vector<int>& v,
                 std::span<const PlanAccess* const> all) {
  int bound = 0;
  for (std::size_t k = 0; k < a.path.size(); ++k) {
    const int index = a.path[k];
    const PlanNode& n = plan.nodes[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case NodeKind::Loop: {
        const int in_v = (binds(v, n.var0) ? 1 : 0) + (binds(v, n.var1) ? 1 : 0);
        const int vars = (n.var0 >= 0 ? 1 : 0) + (n.var1 >= 0 ? 1 : 0);
        if (in_v > 0) {
          if (in_v != vars || n.axis == AxisKind::Sparse) return -1;
          bound += in_v;
        } else if (n.loop != LoopKind::ForEach) {
          return -1;  // its iterations could touch the same elements at once
        }
        break;
      }
      case NodeKind::Combine: {
        const int branch = k + 1 < a.path.size() ? a.path[k + 1] : a.node;
        for (const PlanAccess* b : all) {
          const auto it = std::find(b->path.begin(), b->path.end(), index);
          if (it == b->path.end()) continue;
          const int other = it + 1 != b->path.end() ? *(it + 1) : b->node;
          if (other != branch) return -1;
        }
        break;
      }
      case NodeKind::Sequential:
      case NodeKind::Cond:
        break;
      default:
        return -1;  // CSP: bodies run once per item, with variables no loop binds
    }
  }
  return bound;
}

}  // namespace

bool ordered_or_disjoint(const Plan& plan, std::span<const PlanAccess* const> accesses,
                         bool injective_layout) {
  if (accesses.empty()) return true;
  // Totally ordered: every loop around every access is a for_each (V empty). Then no two of
  // their tasks can run at once, whatever their views select and however the layout aliases.
  const std::vector<int> none;
  if (std::all_of(accesses.begin(), accesses.end(), [&](const PlanAccess* a) {
        return ordered_path(plan, *a, none, accesses) == 0;
      })) {
    return true;
  }
  if (!injective_layout) return false;
  const PlanAccess& first = *accesses.front();
  for (const PlanAccess* a : accesses) {
    // One bound tensor and one chain of selects: only then do equal values of V, and only they,
    // select equal elements (two views of one buffer, X = t[0:4] and Y = t[2:6], meet at X[2]
    // and Y[0]; s[b][h] and s[h][b] meet at b = 0, h = 1 and b = 1, h = 0).
    if (!a->plain || a->select_ops != first.select_ops || a->tensor != first.tensor) return false;
    // A variable of V that no loop around the access binds: not a loop index.
    if (ordered_path(plan, *a, first.selects, accesses) != static_cast<int>(first.selects.size())) {
      return false;
    }
  }
  return true;
}

}  // namespace pto::wsp::engine
