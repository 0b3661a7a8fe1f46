// Which tensor arguments of a plan can never conflict with anything: the basis for tracking
// nothing for them (Engine::start). Decided on the plan; the engine adds what only the bound
// values tell (which tensors share memory, whether a layout aliases itself).
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::engine {

/// One tensor argument of one task node.
struct PlanAccess {
  int node = -1;
  int arg = -1;
  int tensor = -1;
  std::vector<int> path;  ///< the task node's ancestors, root first
  bool plain = false;     ///< the view is only `select`s, each by a loop variable, none twice
  std::vector<std::pair<int, int>> select_ops;  ///< plain: (dimension, variable), in order
  std::vector<int> selects;                     ///< plain: the variables, sorted
};

/// Every tensor argument of every task node reachable from the plan's root.
std::vector<PlanAccess> plan_accesses(const Plan& plan);

/// Whether `accesses` — every access to one memory space — need no tracking: any two of their tasks
/// that can touch one element are already ordered by the workload's structure. True when all views
/// are the same chain of selects of one tensor parameter (`s[b][h]` everywhere, not `s[h][b]`
/// somewhere) by a set V of loop variables (so tasks with different values of V touch disjoint
/// elements) and tasks with equal values of V are ordered: every loop around an access either binds
/// only variables of V over distinct values (a dense or ragged axis; a sparse index table may
/// repeat) or is a `for_each` binding none of them; a `combine` around accesses has them all in one
/// branch; no CSP node is around any (a pipeline body runs once per item). `sequential` and `cond`
/// keep order. A grid writing `out[b][t]`, or init → for_each KV tile → norm all on `s[b][h]`,
/// qualify. Also true, whatever the views and the layout, when every loop around every access is a
/// `for_each` (with the same conditions on combine and CSP): their tasks are totally ordered.
/// `injective_layout`: distinct coordinates of the space's memory have distinct addresses.
bool ordered_or_disjoint(const Plan& plan, std::span<const PlanAccess* const> accesses,
                         bool injective_layout);

}  // namespace pto::wsp::engine
