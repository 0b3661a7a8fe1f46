// Example 04 — CSP pipelines: a Loader → Computer → Storer megakernel and a worker pool.
//
// 1. Megakernel: the loader copies tile i of X into staging slot i % 3, the computer normalises
//    the slot (rmsnorm, a tile kernel) into a result slot, the storer copies the result to Y.
//    Channels of depth 2 let the loader run two tiles ahead of the computer (double buffering):
//    the stages overlap, and the example measures by how much on both backends and writes both
//    timelines (megakernel_cpu.html, megakernel_sim.html).
// 2. Pool: a generator sends jobs of very different sizes to replicate(worker, 4); each job goes
//    to exactly one worker (job j to worker j mod 4), and the workers are a dispatch key.
//
// Checks itself against a plain C++ reference and fails (exit 1) on any mismatch.
#include <cmath>
#include <cstdio>
#include <random>

#include "pto/wsp/wsp.hpp"

using namespace pto::wsp;

namespace {

constexpr int kRows = 64, kCols = 512, kSlots = 3;

/// Time during which a load of one tile ran beside the compute of another, over all loads.
double overlap_fraction(const std::vector<TaskEvent>& log) {
  std::int64_t load_time = 0, overlapped = 0;
  for (const TaskEvent& l : log) {
    if (l.kernel != "load") continue;
    load_time += l.end_ns - l.start_ns;
    for (const TaskEvent& c : log) {
      if (c.kernel != "rmsnorm") continue;
      const std::int64_t lo = std::max(l.start_ns, c.start_ns), hi = std::min(l.end_ns, c.end_ns);
      if (hi > lo) overlapped += hi - lo;
    }
  }
  return load_time > 0 ? static_cast<double>(overlapped) / static_cast<double>(load_time) : 0.0;
}

// Both backends record the task log; the simulator also computes, so results compare.
CompileOptions options_for(const std::string& target) {
  CompileOptions o;
  o.target = target;
  o.record_tasks = true;
  o.compute = target == "sim";
  return o;
}

int megakernel() {
  // Tile kernels: copies for the loader and storer, rmsnorm for the computer. Their costs on the
  // simulated NPU come from their tile programs.
  const std::vector<ParamSpec> copy_params = {In("src", DType::f32), Out("dst", DType::f32)};
  Kernel load = pto::make_tile_kernel("load", copy_params, [](pto::KernelIO& io) {
    io.store("dst", io.load("src", kRows, kCols));
  });
  Kernel store = pto::make_tile_kernel("store", copy_params, [](pto::KernelIO& io) {
    io.store("dst", io.load("src", kRows, kCols));
  });
  Kernel norm = pto::lib::rmsnorm(kRows, kCols);

  TensorRef X = tensor("X", DType::f32, 3, TensorAccess::ReadOnly);  // [tiles, rows, cols]
  TensorRef Y = tensor("Y", DType::f32, 3);
  TensorRef G = tensor("G", DType::f32, 1, TensorAccess::ReadOnly);
  TensorRef BUF = tensor("BUF", DType::f32, 3), RES = tensor("RES", DType::f32, 3);  // staging
  Channel loaded("loaded", 2), computed("computed", 2);

  Process loader =
      process("loader").produces({loaded}).body(for_each(DenseDyn("tiles"), "i", [&](Var i) {
        return send(loaded, task(load, {i}, {X[i], BUF[i % kSlots]}));
      }));
  Process computer =
      process("computer")
          .consumes({loaded})
          .produces({computed})
          .body(consume(loaded, "i", [&](Var i) {
            return send(computed, task(norm, {i}, {BUF[i % kSlots], G, RES[i % kSlots], 1e-6}));
          }));
  Process storer = process("storer").consumes({computed}).body(consume(computed, "i", [&](Var i) {
    return task(store, {i}, {RES[i % kSlots], Y[i]});
  }));
  Workload pipeline = connect({loader, computer, storer}, {loaded, computed});
  std::printf("%s\n%s\n", pipeline.type_string().c_str(), pipeline.tree_string().c_str());

  const std::int64_t tiles = 24;
  Tensor x = Tensor::zeros(DType::f32, {tiles, kRows, kCols});
  Tensor y = Tensor::zeros(DType::f32, {tiles, kRows, kCols});
  Tensor g = Tensor::zeros(DType::f32, {kCols});
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(-2, 2);
  for (std::int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = d(rng);
  for (int c = 0; c < kCols; ++c) g.data<float>()[c] = 0.5f + static_cast<float>(c % 5) * 0.25f;
  Bindings values;
  values.set("tiles", tiles)
      .set_tensor("X", x)
      .set_tensor("Y", y)
      .set_tensor("G", g)
      .set_tensor("BUF", Tensor::zeros(DType::f32, {kSlots, kRows, kCols}))
      .set_tensor("RES", Tensor::zeros(DType::f32, {kSlots, kRows, kCols}));

  int failures = 0;
  for (const char* target : {"cpu", "sim"}) {
    CompileOptions o = options_for(target);
    if (std::string(target) == "cpu") o.threads = 3;
    std::fill(y.data<float>(), y.data<float>() + y.numel(), 0.0f);
    Program p = compile(pipeline, o);
    p.execute(values);
    p.synchronize();
    double max_err = 0;
    for (std::int64_t t = 0; t < tiles; ++t)
      for (int r = 0; r < kRows; ++r) {
        double ss = 0;
        for (int c = 0; c < kCols; ++c) ss += std::pow(x.at<float>({t, r, c}), 2);
        const double inv = 1.0 / std::sqrt(ss / kCols + 1e-6);
        for (int c = 0; c < kCols; ++c)
          max_err = std::max(max_err, std::abs(y.at<float>({t, r, c}) -
                                               x.at<float>({t, r, c}) * inv * g.at<float>({c})));
      }
    const ProgramStats s = p.stats();
    std::printf(
        "%s: %lld tasks in %.1f us, loads overlapping a compute %.0f%% of their time, "
        "max abs error %.2e\n",
        target, static_cast<long long>(s.tasks), static_cast<double>(s.makespan_ns) / 1e3,
        100.0 * overlap_fraction(p.task_log()), max_err);
    const Trace trace = p.trace();
    trace.write_html(std::string("megakernel_") + target + ".html");
    trace.write_chrome_json(std::string("megakernel_") + target + ".trace.json");
    if (max_err > 1e-4) ++failures;
  }
  return failures;
}

int pool() {
  // Jobs of 1..64 units of work; job j's size is sizes[j].
  Kernel job =
      make_kernel("job", {Out("out", DType::i64, 1), Scalar("units"), Scalar("worker")},
                  [](const TaskArgs& a) {
                    std::int64_t acc = 0;
                    for (std::int64_t u = 0; u < a.scalar(1).i * 2000; ++u) acc += u % 7;
                    a.tensor(0).data<std::int64_t>()[0] = a.scalar(2).i * 1000000 + acc % 7;
                  })
          .with_cost([](const TaskArgs& a) {
            return KernelCost{CoreKind::Vector, 0, static_cast<double>(a.scalar(1).i) * 500};
          });
  Kernel announce =
      make_kernel("announce", {Out("out", DType::i64, 1), Scalar("j")}, [](const TaskArgs& a) {
        a.tensor(0).data<std::int64_t>()[0] = a.scalar(1).i;
      }).with_cost([](const TaskArgs&) {
        return KernelCost{CoreKind::Vector, 0, 100};
      });
  TensorRef OUT = tensor("OUT", DType::i64, 2), IDS = tensor("IDS", DType::i64, 2);
  Channel jobs("jobs", 4);
  Process generator = process("generator").produces({jobs}).body([&](Var inst) {
    return for_each(DenseDyn("n"), "j", [&](Var j) {
      return send(jobs, task(announce, {inst, j}, {IDS[j], j}));
    });
  });
  Process worker = replicate(process("worker").consumes({jobs}).body([&](Var w) {
    return consume(jobs, "j", [&](Var j) {
      return task(job, {w, j}, {OUT[j], array("sizes")[j], w});
    });
  }),
                             4);
  Workload w = connect({generator, worker}, {jobs});

  const std::int64_t n = 32;
  std::vector<std::int64_t> sizes;
  std::mt19937 rng(5);
  for (std::int64_t j = 0; j < n; ++j) sizes.push_back(1 + static_cast<std::int64_t>(rng() % 64));
  Tensor out = Tensor::zeros(DType::i64, {n, 1}), ids = Tensor::zeros(DType::i64, {n, 1});
  Bindings values;
  values.set("n", n).set_array("sizes", sizes).set_tensor("OUT", out).set_tensor("IDS", ids);
  int failures = 0;
  for (const char* target : {"cpu", "sim"}) {
    Program p =
        compile(w, Schedule{}.queues(4).dispatch(affinity(axis("instance"))), options_for(target));
    p.execute(values);
    p.synchronize();
    std::vector<int> per_worker(4, 0);
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t worker_id = out.at<std::int64_t>({j, 0}) / 1000000;
      ++per_worker[static_cast<std::size_t>(worker_id)];
      if (worker_id != j % 4) ++failures;
    }
    std::printf("pool on %s: %lld jobs, per worker %d/%d/%d/%d, makespan %.1f us\n", target,
                static_cast<long long>(n), per_worker[0], per_worker[1], per_worker[2],
                per_worker[3], static_cast<double>(p.stats().makespan_ns) / 1e3);
  }
  return failures;
}

}  // namespace

int main() {
  const int failures = megakernel() + pool();
  if (failures != 0) {
    std::printf("FAILED: %d mismatches\n", failures);
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
