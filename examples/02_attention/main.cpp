// Example 02 — variable-length attention on the cpu backend, under two schedules.
//
// The workload (tools/workloads/workloads.cpp, `workloads::attention`): every batch entry has its
// own KV length (a Ragged axis); each (b, h) walks its KV tiles in order with an online-softmax
// update, then normalises.
//
//   parallel_for b in DenseDyn(batch)
//     parallel_for h in Dense[heads]
//       sequential
//         task attn_init[b, h]                    acc = 0, max = -inf, sum = 0
//         for_each t in Ragged(kv_tiles).row(b)   (tile t after tile t-1)
//           task attn_tile[b, h, t]               online-softmax update with K/V rows of tile t
//         task attn_norm[b, h]                    acc /= sum
//
// The same workload runs with the default schedule (one FIFO queue) and with a schedule that
// keeps each batch entry on one of two queues and each head on its own in-order stream, longest
// KV rows first. Both results are checked against plain softmax attention and must be identical
// bit for bit; the second run's timeline is written to attention_trace.json (open it in
// https://ui.perfetto.dev) and attention_timeline.html (open it in any browser).
#include <cstdio>

#include "pto/wsp/wsp.hpp"
#include "workloads/workloads.hpp"

using namespace pto::wsp;

int main() {
  const workloads::AttentionOptions options;
  bool ok = true;
  std::uint64_t first_checksum = 0;
  const Schedule schedules[] = {
      Schedule{},
      Schedule{}
          .queues(2)
          .dispatch(affinity(axis("b")))
          .streams(8)
          .stream_by(axis("h"))
          .issue(priority(-array("kv_len")[axis("b")])),
  };
  for (const Schedule& schedule : schedules) {
    const workloads::Instance inst = workloads::attention(options);
    CompileOptions compile_options;
    compile_options.record_tasks = true;
    Program program = compile(inst.workload, schedule, compile_options);
    program.execute(inst.bindings);
    program.synchronize();

    const double err = workloads::attention_max_error(inst, options);
    const std::uint64_t sum = workloads::checksum(inst.outputs.front().second);
    if (first_checksum == 0) first_checksum = sum;
    std::printf("%s\nschedule %s\nmax abs error vs reference: %.3g  checksum %016llx\n%s\n\n",
                inst.workload.type_string().c_str(), schedule.to_string().c_str(), err,
                static_cast<unsigned long long>(sum), program.stats().to_string().c_str());
    ok = ok && err <= 1e-4 && sum == first_checksum;

    const Trace trace = program.trace();
    trace.write_chrome_json("attention_trace.json");
    trace.write_html("attention_timeline.html");
  }
  std::printf("wrote attention_trace.json and attention_timeline.html\n%s\n",
              ok ? "OK" : "FAILED: error above 1e-4 or results differ between schedules");
  return ok ? 0 : 1;
}
