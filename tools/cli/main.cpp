// pto-wsp: run a built-in workload under a schedule given on the command line, print its stats
// and output checksums, and write its trace (Perfetto JSON, HTML timeline) and stats JSON.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "pto/wsp/wsp.hpp"
#include "workloads/workloads.hpp"

using namespace pto::wsp;

namespace {

struct RunFlags {
  std::string workload;
  std::string backend = "cpu";
  int threads = 0;
  int runs = 1;
  int queues = 0;  ///< 0: the backend's default
  std::string dispatch = "round_robin";
  int streams = 0;
  std::string stream_by;
  std::string timing = "immediate";
  std::int64_t window = 8192;
  std::string window_mode = "stall";
  std::string priority_key;
  std::string trace_file, html_file, stats_file;
  std::string machine_file;
  bool compute = false;
  workloads::SyntheticOptions synthetic;
  workloads::AttentionOptions attention;
};

// "name" or "name:ARG".
std::pair<std::string, std::string> split_policy(const std::string& s) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) return {s, ""};
  return {s.substr(0, colon), s.substr(colon + 1)};
}

std::int64_t positive(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < 1) {
    throw ScheduleError(fmt::format("{}: '{}' is not a positive integer", flag, text));
  }
  return v;
}

Schedule build_schedule(const RunFlags& f) {
  // Without --queues the backend decides: one queue on cpu, one per AICPU on sim.
  Schedule s = f.queues > 0 ? Schedule{}.queues(f.queues) : Schedule{};
  const auto [dname, darg] = split_policy(f.dispatch);
  auto need_key = [&](const char* what) {
    if (darg.empty()) {
      throw ScheduleError(
          fmt::format("--dispatch {}: expected {}:KEY, e.g. {}:b", f.dispatch, what, what));
    }
    return parse_key(darg);
  };
  if (dname == "round_robin" && darg.empty()) {
    // round-robin over the queue count: the default policy
  } else if (dname == "affinity") {
    s = s.dispatch(affinity(need_key("affinity")));
  } else if (dname == "hash") {
    s = s.dispatch(hash(need_key("hash")));
  } else if (dname == "work_steal") {
    s = s.dispatch(darg.empty() ? work_steal() : work_steal(parse_key(darg)));
  } else {
    throw ScheduleError(fmt::format(
        "--dispatch '{}': expected round_robin, affinity:KEY, hash:KEY or work_steal[:KEY]",
        f.dispatch));
  }
  if (f.streams > 0) s = s.streams(f.streams);
  if (!f.stream_by.empty()) s = s.stream_by(parse_key(f.stream_by));
  const auto [tname, targ] = split_policy(f.timing);
  if (tname == "immediate" && targ.empty()) {
    s = s.timing(immediate());
  } else if (tname == "batched") {
    s = s.timing(batched(positive("--timing batched:N", targ)));
  } else if (tname == "interleaved") {
    s = s.timing(interleaved(positive("--timing interleaved:N", targ)));
  } else if (tname == "rate_limit") {
    s = s.timing(rate_limit(positive("--timing rate_limit:R", targ)));
  } else {
    throw ScheduleError(fmt::format(
        "--timing '{}': expected immediate, batched:N, interleaved:N or rate_limit:R", f.timing));
  }
  if (f.window < 1) throw ScheduleError(fmt::format("--window {}: must be at least 1", f.window));
  s = s.task_graph(
      TaskWindow{f.window, f.window_mode == "abort" ? WindowMode::Abort : WindowMode::Stall});
  if (!f.priority_key.empty()) s = s.issue(priority(parse_key(f.priority_key)));
  s.validate();
  return s;
}

workloads::Instance make_instance(const RunFlags& f) {
  return f.workload == "attention" ? workloads::attention(f.attention)
                                   : workloads::synthetic(f.synthetic);
}

// The workload argument and the flags both subcommands take.
void add_workload_options(CLI::App* cmd, RunFlags& f) {
  cmd->add_option("workload", f.workload, "attention | synthetic")
      ->required()
      ->check(CLI::IsMember({"attention", "synthetic"}));
  cmd->add_option("--threads", f.threads, "worker threads (0: one per core)")
      ->check(CLI::Range(0, 1 << 12));
  cmd->add_option("--shape", f.synthetic.shape, "synthetic: grid | chain | layers | imbalanced")
      ->check(CLI::IsMember({"grid", "chain", "layers", "imbalanced"}));
  cmd->add_option("--batch", f.synthetic.batch, "synthetic: values of axis b (4)");
  cmd->add_option("--tasks", f.synthetic.tasks, "synthetic: tasks per grid (64)");
  cmd->add_option("--cost-us", f.synthetic.cost_us, "synthetic: µs each task spins (10)");
  cmd->add_option("--kv-lengths", f.attention.kv_lengths,
                  "attention: the KV length of each batch entry, comma-separated "
                  "(1000,37,4096,513,64,2500,1,777)")
      ->delimiter(',')
      ->expected(1, 1 << 16);
  cmd->add_flag("--tile-kernels", f.attention.tile_kernels,
                "attention: kernels written in the tile language (sim costs from their programs)");
}

int run(const RunFlags& f) {
  const workloads::Instance inst = make_instance(f);
  const Schedule schedule = build_schedule(f);
  CompileOptions options;
  options.target = f.backend;
  options.threads = f.threads;
  options.record_tasks = !f.trace_file.empty() || !f.html_file.empty();
  if (f.backend == "sim") {
    options.machine = f.machine_file.empty() ? Machine::defaults() : Machine::load(f.machine_file);
    options.compute = f.compute;
  } else if (!f.machine_file.empty() || f.compute) {
    throw CompileError("--machine and --compute apply to --backend sim only");
  }
  Program program = compile(inst.workload, schedule, options);
  std::vector<double> makespans;
  for (int r = 0; r < f.runs; ++r) {
    workloads::reset_outputs(inst);  // every run computes the same results from scratch
    program.execute(inst.bindings);
    program.synchronize();
    makespans.push_back(static_cast<double>(program.stats().makespan_ns) / 1e6);
  }
  std::printf("workload  %s\nschedule  %s\n%s\n", inst.workload.type_string().c_str(),
              schedule.to_string().c_str(), program.stats().to_string().c_str());
  if (f.runs > 1) {
    std::sort(makespans.begin(), makespans.end());
    std::printf(
        "makespan over %d runs: median %.3f ms, min %.3f ms, max %.3f ms (stats above: the "
        "last run)\n",
        f.runs, makespans[makespans.size() / 2], makespans.front(), makespans.back());
  }
  for (const auto& [name, t] : inst.outputs) {
    std::printf("checksum %-6s %016llx\n", name.c_str(),
                static_cast<unsigned long long>(workloads::checksum(t)));
  }
  int rc = 0;
  if (f.workload == "attention" && (f.backend == "cpu" || f.compute)) {
    const double err = workloads::attention_max_error(inst, f.attention);
    std::printf("max abs error vs reference attention: %.3g\n", err);
    if (!(err <= 1e-4)) rc = 1;
  }
  if (!f.trace_file.empty() || !f.html_file.empty()) {
    const Trace trace = program.trace();
    if (!f.trace_file.empty()) trace.write_chrome_json(f.trace_file);
    if (!f.html_file.empty()) trace.write_html(f.html_file);
  }
  if (!f.stats_file.empty()) {
    std::ofstream out(f.stats_file);
    out << program.stats().to_json() << "\n";
    if (!out) throw ExecutionError(fmt::format("cannot write --stats-json '{}'", f.stats_file));
  }
  return rc;
}

// Measures `f.workload` on the cpu backend and writes a machine description of this host: one
// AICPU and one vector core per worker thread (each AICPU owning its core, as a cpu worker both
// schedules and runs), every kernel's mean measured time, and a per-task overhead (AICPU
// dispatch + retirement work; generation folded in, host_task_ns = 0) fitted so that the
// simulator reproduces the measured median makespan. `--backend sim --machine FILE` then
// predicts the cpu backend's makespan for other schedules of the workload.
int calibrate(const RunFlags& f, const std::string& out, int runs) {
  const workloads::Instance inst = make_instance(f);
  // The kernels' times come from the stats (ProgramStats::kernels), not from a task log:
  // recording costs the workers a log entry per task, which `run` without a trace does not pay.
  CompileOptions options;
  options.threads = f.threads;
  Program program = compile(inst.workload, options);
  std::map<std::string, std::pair<double, std::int64_t>> kernels;  // total ns, count
  double scheduling = 0, generation = 0, tasks = 0;
  std::vector<double> makespans;
  for (int r = 0; r < runs + 1; ++r) {
    workloads::reset_outputs(inst);
    program.execute(inst.bindings);
    program.synchronize();
    if (r == 0) continue;  // warm-up: first-touch page faults, cold caches
    const ProgramStats s = program.stats();
    for (const KernelStats& k : s.kernels) {
      auto& [total, count] = kernels[k.kernel];
      total += static_cast<double>(k.busy_ns);
      count += k.tasks;
    }
    scheduling += static_cast<double>(s.scheduling_ns);
    generation += static_cast<double>(s.generation_ns);
    tasks += static_cast<double>(s.tasks);
    makespans.push_back(static_cast<double>(s.makespan_ns));
  }
  const int threads = program.options().threads;
  Machine m;
  m.name = fmt::format("this host, {} worker threads (pto-wsp calibrate {})", threads, f.workload);
  m.clock_ghz = 1.0;
  m.aicpus = threads;
  m.cube_cores = threads;
  m.vector_cores = threads;
  m.partition = "split";
  m.host_to_aicpu_ns = m.host_to_core_ns = m.aicpu_to_core_ns = m.completion_poll_ns = 0;
  m.host_task_ns = 0;
  m.hbm_bytes_per_ns = 0;  // measured costs include whatever memory contention there was
  // Every kernel on the "vector" cores: on this host a worker thread runs any kernel, matmul or
  // not, so the host has one kind of core (the cube cores of the description stay idle).
  for (const auto& [name, tc] : kernels) {
    m.kernels[name] = MeasuredCost{CoreKind::Vector, tc.first / static_cast<double>(tc.second)};
  }
  // A cpu worker generates, schedules and runs each task; what that costs beyond the kernel is
  // AICPU work in the model (dispatch and retirement halves). Rather than trust one noisy
  // counter for it, fit it: the per-task cost for which the simulator reproduces the measured
  // median makespan of this (default) schedule.
  std::sort(makespans.begin(), makespans.end());
  const double measured = makespans[makespans.size() / 2];
  auto simulated = [&](std::int64_t per_task) {
    m.aicpu_dispatch_ns = per_task / 2;
    m.aicpu_complete_ns = per_task - per_task / 2;
    CompileOptions sim;
    sim.target = "sim";
    sim.machine = m;
    Program p = compile(inst.workload, Schedule{}.queues(1), sim);
    p.execute(inst.bindings);
    p.synchronize();
    return static_cast<double>(p.stats().makespan_ns);
  };
  std::int64_t lo = 0, hi = 100'000;
  while (lo < hi) {  // the makespan grows with the per-task cost
    const std::int64_t mid = (lo + hi) / 2;
    if (simulated(mid) < measured) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const std::int64_t per_task = lo;
  const double predicted = simulated(per_task);
  std::ofstream file(out);
  file << m.to_json() << "\n";
  if (!file) throw ExecutionError(fmt::format("calibrate: cannot write '{}'", out));
  std::printf(
      "measured %s on %d threads over %d runs: median makespan %.3f ms; fitted per-task "
      "overhead %lld ns (counters say %.0f ns: generation + scheduling), simulated makespan "
      "%.3f ms\n",
      f.workload.c_str(), threads, runs, measured / 1e6, static_cast<long long>(per_task),
      (scheduling + generation) / tasks, predicted / 1e6);
  for (const auto& [name, c] : m.kernels) std::printf("  %-12s %10.1f ns\n", name.c_str(), c.ns);
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pto-wsp: run a dynamic LLM workload under a schedule, and see what it did"};
  app.require_subcommand(1);
  // `pto-wsp --help` shows every subcommand's flags too.
  app.set_help_flag();
  app.set_help_all_flag("-h,--help", "Print this help (every command and flag) and exit");
  RunFlags f;
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run WORKLOAD (attention | synthetic) and print its stats and output checksums. KEY is an "
      "expression over the task's axis names, e.g. 'b', 'h % 4', 'min(b, 3) * 2 + t'; "
      "synthetic tasks have axes b and t, attention tasks b, h (and t for KV tiles).");
  add_workload_options(cmd, f);
  cmd->add_option("--backend", f.backend,
                  "cpu (threads, real kernels) | sim (the NPU model, simulated time)")
      ->check(CLI::IsMember({"cpu", "sim"}));
  cmd->add_option("--machine", f.machine_file,
                  "sim: machine description JSON (default: 4 AICPU, 24 cube, 48 vector cores)");
  cmd->add_flag("--compute", f.compute,
                "sim: also run the kernels in simulated order (checksums comparable with cpu)");
  cmd->add_option("--queues", f.queues,
                  "scheduler queues (default: 1 on cpu, one per AICPU on sim)")
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--dispatch", f.dispatch,
                  "round_robin | affinity:KEY | hash:KEY | work_steal[:KEY] (home queue key)");
  cmd->add_option("--streams", f.streams, "in-order streams per queue")
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--stream-by", f.stream_by, "KEY: stream = KEY mod streams");
  cmd->add_option("--timing", f.timing,
                  "immediate | batched:N | interleaved:N | rate_limit:R (starts per ms)");
  cmd->add_option("--window", f.window, "task window: tasks generated and not finished (8192)");
  cmd->add_option("--window-mode", f.window_mode, "stall | abort")
      ->check(CLI::IsMember({"stall", "abort"}));
  cmd->add_option("--priority", f.priority_key, "KEY: among startable tasks, lowest first");
  cmd->add_option("--runs", f.runs,
                  "execute N times (the first run is cold: page faults, caches) and report the "
                  "median makespan; stats, checksums and traces are the last run's")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--trace", f.trace_file, "write a Chrome/Perfetto trace JSON file");
  cmd->add_option("--html", f.html_file, "write a self-contained HTML timeline");
  cmd->add_option("--stats-json", f.stats_file, "write the stats as JSON");
  RunFlags cf;
  std::string calibrate_out;
  int calibrate_runs = 5;
  CLI::App* cal = app.add_subcommand(
      "calibrate",
      "Measure WORKLOAD's kernels and scheduling costs on the cpu backend and write a machine "
      "description of this host, for `run --backend sim --machine FILE`.");
  add_workload_options(cal, cf);
  cal->add_option("--out", calibrate_out, "the machine description to write")->required();
  cal->add_option("--runs", calibrate_runs, "measured runs after one warm-up (5)")
      ->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
    if (f.workload != "synthetic") {
      for (const char* opt : {"--shape", "--batch", "--tasks", "--cost-us"}) {
        if (cmd->count(opt) > 0) {
          throw CLI::ValidationError(opt, fmt::format("only applies to the synthetic workload"));
        }
      }
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "pto-wsp: error: %s\n", e.what());
    return 2;
  }
  try {
    return cal->parsed() ? calibrate(cf, calibrate_out, calibrate_runs) : run(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pto-wsp: error: %s\n", e.what());
    return 2;
  }
}
