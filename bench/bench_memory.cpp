// Peak resident memory of a 10 M-task run with a window of 8192: memory is bounded by the window,
// not by the task count. Prints the peak RSS growth for 1 M and 10 M tasks.
#include <sys/resource.h>

#include <cstdio>

#include "bench/shapes.hpp"

namespace {

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main() {
  using namespace pto::wsp;
  const long before = peak_rss_kb();
  for (std::int64_t n : {std::int64_t{1} << 20, std::int64_t{10} << 20}) {
    // One element per task of a 2-row table reused in a cycle: the data stays small, so the
    // growth measured is the runtime's.
    Kernel k = bench::empty_kernel("k", {Out("y", DType::f32, 0)});
    TensorRef Y = tensor("Y", DType::f32, 2);
    Workload w =
        parallel_for(DenseDyn("n"), "i", [&](Var i) { return task(k, {i}, {Y[i % 2][i % 1024]}); });
    CompileOptions o;
    o.threads = 2;
    o.window = TaskWindow{8192, WindowMode::Stall};
    o.prevalidate = false;
    Program p = compile(w, o);
    Bindings b;
    b.set("n", n).set_tensor("Y", Tensor::zeros(DType::f32, {2, 1024}));
    p.execute(b);
    p.synchronize();
    std::printf("%lld tasks, window 8192: peak RSS growth %.1f MB, makespan %.0f ms\n",
                static_cast<long long>(p.stats().tasks), (peak_rss_kb() - before) / 1024.0,
                p.stats().makespan_ns / 1e6);
  }
  return 0;
}
