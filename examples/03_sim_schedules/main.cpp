// Example 03 — the seed's experiment on the simulated NPU: one attention workload, two schedules.
//
//   batch per core        dispatch(affinity(b)): every task of batch entry b goes to queue b, and
//                         queue q is served by an AICPU that owns exactly one vector core, so a
//                         batch's tasks all run on one core (cores serve several batches in turn)
//   task index per core   dispatch(round_robin(n)): task k goes to queue k mod n, i.e. core k mod n
//
// The machine is the default one (24 cube, 48 vector cores, 910B-class latencies) split into 48
// AICPU/core pairs so that a queue names a core, with an explicit cold start: a core that starts
// a task of another batch entry than its previous task pays cold_start_ns first (its Q rows and
// the first K/V tiles are not in its buffers). Batch per core pays a cold start once per batch
// but leaves cores idle when KV lengths differ; task index per core balances the load but
// switches batch on almost every task. The trade-off decides which is faster. Both timelines are
// written as Perfetto traces and HTML (open the .html in a browser).
//
// The example checks itself: both schedules compute the same attention (functional mode, bit
// for bit) within 1e-4 of the reference, and the cold starts the simulator charged match the
// trace (busy time minus the kernels' own costs is a whole number of cold starts).
#include <cstdio>
#include <random>

#include "pto/wsp/wsp.hpp"
#include "workloads/workloads.hpp"

using namespace pto::wsp;

int main() {
  workloads::AttentionOptions options;
  options.kv_lengths.clear();
  std::mt19937 rng(7);
  for (int b = 0; b < 48; ++b) options.kv_lengths.push_back(256 + rng() % 3841);

  Machine machine = Machine::defaults();
  machine.aicpus = machine.vector_cores;  // one AICPU per vector core: a queue names a core
  machine.partition = "split";
  machine.cube_cores = machine.vector_cores;  // split needs one of each kind per AICPU; unused
  machine.cold_start_axis = "b";
  machine.cold_start_ns = 2000;

  struct Run {
    const char* name;
    Schedule schedule;
    std::int64_t makespan = 0, cold = 0;
    std::uint64_t checksum = 0;
  };
  Run runs[] = {
      {"batch per core", Schedule{}.queues(machine.aicpus).dispatch(affinity(axis("b")))},
      {"task index per core", Schedule{}.dispatch(round_robin(machine.aicpus))},
  };
  bool ok = true;
  // With the default host (250 ns to generate and track a task) the host's generation order
  // also matters: batch entries are generated one after another. An instant host isolates the
  // trade-off between cold starts and load balance.
  for (const std::int64_t host_task_ns : {machine.host_task_ns, std::int64_t{0}}) {
    machine.host_task_ns = host_task_ns;
    std::printf("host %lld ns per task:\n", static_cast<long long>(host_task_ns));
    for (Run& run : runs) {
      const workloads::Instance inst = workloads::attention(options);
      CompileOptions o;
      o.target = "sim";
      o.machine = machine;
      o.compute = true;
      o.record_tasks = true;
      Program p = compile(inst.workload, run.schedule, o);
      p.execute(inst.bindings);
      p.synchronize();
      run.makespan = p.stats().makespan_ns;
      run.checksum = workloads::checksum(inst.outputs.front().second);
      const double err = workloads::attention_max_error(inst, options);
      // Busy time beyond the kernels' own costs is cold starts.
      CompileOptions no_cold = o;
      no_cold.machine->cold_start_axis.clear();
      no_cold.compute = false;
      Program q = compile(inst.workload, run.schedule, no_cold);
      q.execute(inst.bindings);
      q.synchronize();
      std::int64_t busy = 0, busy_without = 0;
      for (const auto& w : p.stats().workers) busy += w.busy_ns;
      for (const auto& w : q.stats().workers) busy_without += w.busy_ns;
      run.cold = (busy - busy_without) / machine.cold_start_ns;
      ok = ok && err <= 1e-4 && (busy - busy_without) % machine.cold_start_ns == 0;
      const std::string base =
          std::string(run.name[0] == 'b' ? "batch_per_core" : "task_index_per_core") +
          (host_task_ns == 0 ? "_instant_host" : "");
      const Trace trace = p.trace();
      trace.write_chrome_json(base + ".trace.json");
      trace.write_html(base + ".html");
      std::printf(
          "  %-20s makespan %8.1f us  cold starts %5lld  max error %.2g  checksum %016llx\n",
          run.name, static_cast<double>(run.makespan) / 1e3, static_cast<long long>(run.cold), err,
          static_cast<unsigned long long>(run.checksum));
    }
    ok = ok && runs[0].checksum == runs[1].checksum;
    std::printf("  task index per core / batch per core: %.3f\n",
                static_cast<double>(runs[1].makespan) / static_cast<double>(runs[0].makespan));
  }
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
