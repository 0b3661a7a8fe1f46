// Builds against the installed package and lists a small workload's tasks.
#include <cstdio>

#include "pto/wsp/wsp.hpp"

int main() {
  using namespace pto::wsp;
  Kernel k = make_kernel("k", {Scalar("i")}, [](const TaskArgs&) {});
  Workload w = parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {i}); });
  Plan plan = lower(w);
  const auto tasks = enumerate_tasks(plan, bind(plan, Bindings().set("n", 3)));
  std::printf("%s: %zu tasks\n", w.type_string().c_str(), tasks.size());
  return tasks.size() == 3 ? 0 : 1;
}
