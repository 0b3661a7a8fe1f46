// Which tensor arguments of a plan can never conflict with anything: the basis for tracking
// nothing for them (Engine::start). Decided on the plan alone; the engine adds what only the bound
// values tell (which tensors share memory, whether a layout aliases itself).
#pragma once

#include <vector>

#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::engine {

/// One tensor argument of one task node.
struct PlanAccess {
  int node = -1;
  int arg = -1;
  int tensor = -1;
  /// Distinct tasks of the node reach distinct elements of the argument's tensor (given a layout
  /// where distinct coordinates have distinct addresses): the view is a chain of `select`s whose
  /// indices are exactly the variables of the loops around the node, each once, every loop
  /// enumerates distinct values (dense and ragged axes; not sparse, whose index tables may
  /// repeat), and the node is not inside a CSP pipeline (whose bodies run once per item).
  bool disjoint_instances = false;
};

/// Every tensor argument of every task node reachable from the plan's root.
std::vector<PlanAccess> plan_accesses(const Plan& plan);

}  // namespace pto::wsp::engine
