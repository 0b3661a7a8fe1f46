// Trace exports read back: the Chrome JSON field by field, the HTML's self-containment and
// escaping, file writes and their failures, and the stats as text and JSON.
#include "pto/wsp/trace.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pto/wsp/core/error.hpp"
#include "support/expect_error.hpp"

namespace pto::wsp {
namespace {

using nlohmann::json;

const std::string kOddKernel = "k\"\\x";  // k"\x

ProgramStats sample_stats() {
  ProgramStats s;
  s.backend = "cpu";
  s.tasks = 4;
  s.queues = 2;
  s.makespan_ns = 9'000;
  s.generation_ns = 1'500;
  s.validation_ns = 250;
  s.scheduling_ns = 800;
  s.scheduling_ns_per_task = 200.0;
  s.idle_ns = 3'000;
  s.helper_chunks = 3;
  s.window_size = 8192;
  s.window_stalls = 1;
  s.window_stall_ns = 40;
  s.window_high_water = 4;
  s.critical_path_ns = 6'000;
  s.stolen = 1;
  s.memory_wait_ns = 70;
  s.workers = {{2, 5'000, 5.0 / 9.0, {0, 2}, "", ""}, {2, 4'000, 4.0 / 9.0, {1}, "", ""}};
  s.kernels = {{"attn", 3, 7'600}, {"norm", 1, 1'400}};
  return s;
}

TaskEvent event(std::uint64_t id, std::string kernel, int worker, std::int64_t start,
                std::int64_t end) {
  TaskEvent e;
  e.id = id;
  e.node = static_cast<int>(id % 2);
  e.kernel = std::move(kernel);
  e.worker = worker;
  e.queue = worker;
  e.home_queue = worker;
  e.start_ns = start;
  e.end_ns = end;
  e.gen_ns = start / 4;
  e.ready_ns = start / 2;
  e.issue_ns = start - 1;
  return e;
}

// Two workers, three kernels (one with a quote and a backslash in its name); task 2 was stolen.
Trace sample_trace() {
  Trace t;
  t.backend = "cpu";
  t.workload = "parallel_for(b, 2) { attn(b) } </script><b>bold";
  t.schedule = "dispatch(round_robin) & \"streams\" <2>";
  t.worker_names = {"worker 0 (queues 0, 2)", "worker 1 (queues 1)"};
  t.stats = sample_stats();
  t.tasks.push_back(event(0, "attn", 0, 1'000, 2'234'567));
  t.tasks.back().axes = {{"b", 0}, {"t", 3}};
  t.tasks.push_back(event(1, "attn", 1, 1'500, 3'000));
  t.tasks.back().axes = {{"b", 1}, {"t", 0}};
  t.tasks.push_back(event(2, kOddKernel, 1, 3'000, 7'000));
  t.tasks.back().deps = {0, 1};
  t.tasks.back().home_queue = 0;
  t.tasks.back().stream = 1;
  t.tasks.back().issue_seq = 5;
  t.tasks.back().issue_group = 2;
  t.tasks.back().priority = -7;
  t.tasks.push_back(event(3, "ffn</script>", 0, 2'234'567, 2'240'000));
  t.tasks.back().deps = {2};
  return t;
}

std::vector<json> events_with_phase(const json& j, const std::string& ph) {
  std::vector<json> out;
  for (const json& e : j.at("traceEvents")) {
    if (e.at("ph") == ph) out.push_back(e);
  }
  return out;
}

TEST(TraceChromeJson, HasTheTopLevelKeysOfTheFormat) {
  const json j = json::parse(sample_trace().chrome_json());
  EXPECT_EQ(j.at("displayTimeUnit"), "ns");
  EXPECT_TRUE(j.at("traceEvents").is_array());
  EXPECT_EQ(j.at("otherData").at("backend"), "cpu");
  EXPECT_EQ(j.at("otherData").at("workload"), sample_trace().workload);
  EXPECT_EQ(j.at("otherData").at("schedule"), sample_trace().schedule);
  EXPECT_EQ(j.at("stats").at("tasks"), 4);
  EXPECT_EQ(j.at("stats").at("makespan_ns"), 9'000);
  EXPECT_EQ(j.at("stats").at("workers").size(), 2u);
}

TEST(TraceChromeJson, EveryTaskIsOneCompleteEventWithAllItsArgs) {
  const Trace t = sample_trace();
  const std::vector<json> xs = events_with_phase(json::parse(t.chrome_json()), "X");
  ASSERT_EQ(xs.size(), t.tasks.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    SCOPED_TRACE(i);
    const json& x = xs[i];
    const TaskEvent& e = t.tasks[i];
    EXPECT_EQ(x.at("name"), e.kernel);
    EXPECT_EQ(x.at("cat"), e.kernel);
    EXPECT_EQ(x.at("pid"), 1);
    EXPECT_EQ(x.at("tid"), e.worker);
    EXPECT_DOUBLE_EQ(x.at("ts").get<double>(), static_cast<double>(e.start_ns) / 1000.0);
    EXPECT_DOUBLE_EQ(x.at("dur").get<double>(),
                     static_cast<double>(e.end_ns - e.start_ns) / 1000.0);
    const json& a = x.at("args");
    EXPECT_EQ(a.at("task"), e.id);
    EXPECT_EQ(a.at("kernel"), e.kernel);
    EXPECT_EQ(a.at("queue"), e.queue);
    EXPECT_EQ(a.at("home_queue"), e.home_queue);
    EXPECT_EQ(a.at("stream"), e.stream);
    EXPECT_EQ(a.at("worker"), e.worker);
    EXPECT_EQ(a.at("issue_seq"), e.issue_seq);
    EXPECT_EQ(a.at("issue_group"), e.issue_group);
    EXPECT_EQ(a.at("priority"), e.priority);
    EXPECT_DOUBLE_EQ(a.at("gen_ts").get<double>(), static_cast<double>(e.gen_ns) / 1000.0);
    EXPECT_DOUBLE_EQ(a.at("ready_ts").get<double>(), static_cast<double>(e.ready_ns) / 1000.0);
    EXPECT_DOUBLE_EQ(a.at("issue_ts").get<double>(), static_cast<double>(e.issue_ns) / 1000.0);
    EXPECT_EQ(a.at("deps").get<std::vector<std::uint64_t>>(), e.deps);
    std::map<std::string, std::int64_t> expected_axes(e.axes.begin(), e.axes.end());
    EXPECT_EQ((a.at("axes").get<std::map<std::string, std::int64_t>>()), expected_axes);
  }
}

TEST(TraceChromeJson, TimesAreMicrosecondsWithEveryNanosecond) {
  const std::string s = sample_trace().chrome_json();
  // Task 0: start 1000 ns, end 2234567 ns; task 2: issue 2999 ns.
  EXPECT_NE(s.find("\"ts\":1.000,\"dur\":2233.567,"), std::string::npos) << s;
  EXPECT_NE(s.find("\"issue_ts\":2.999,"), std::string::npos);
}

TEST(TraceChromeJson, MetadataNamesTheProcessAndEveryWorkerTrack) {
  Trace t = sample_trace();
  t.worker_names.resize(1);  // the second track must still get a name
  const std::vector<json> ms = events_with_phase(json::parse(t.chrome_json()), "M");
  std::map<int, std::string> thread_names;
  std::map<int, int> sort_index;
  std::string process_name;
  for (const json& m : ms) {
    EXPECT_EQ(m.at("pid"), 1);
    if (m.at("name") == "process_name") process_name = m.at("args").at("name");
    if (m.at("name") == "thread_name") thread_names[m.at("tid")] = m.at("args").at("name");
    if (m.at("name") == "thread_sort_index")
      sort_index[m.at("tid")] = m.at("args").at("sort_index");
  }
  EXPECT_EQ(process_name, "cpu backend");
  EXPECT_EQ(thread_names,
            (std::map<int, std::string>{{0, "worker 0 (queues 0, 2)"}, {1, "worker 1"}}));
  EXPECT_EQ(sort_index, (std::map<int, int>{{0, 0}, {1, 1}}));
}

TEST(TraceChromeJson, EventsOnOneTrackDoNotOverlap) {
  std::map<int, std::vector<std::pair<double, double>>> spans;
  for (const json& x : events_with_phase(json::parse(sample_trace().chrome_json()), "X")) {
    const double ts = x.at("ts");
    spans[x.at("tid")].emplace_back(ts, ts + x.at("dur").get<double>());
  }
  ASSERT_EQ(spans.size(), 2u);
  for (auto& [tid, list] : spans) {
    std::sort(list.begin(), list.end());
    for (std::size_t i = 1; i < list.size(); ++i) {
      EXPECT_LE(list[i - 1].second, list[i].first) << "tid " << tid;
    }
  }
}

TEST(TraceChromeJson, EscapesQuotesBackslashesAndControlCharacters) {
  Trace t = sample_trace();
  t.tasks[0].kernel = std::string("a\"b\\c\nd\te\x01f\x1f") + "g/h";
  t.tasks[0].axes = {{"ax\"is", 1}};
  t.worker_names[0] = "w\\0";
  t.schedule = std::string("s\r\b\f", 4);
  const json j = json::parse(t.chrome_json());
  const std::vector<json> xs = events_with_phase(j, "X");
  EXPECT_EQ(xs[0].at("name"), t.tasks[0].kernel);
  EXPECT_EQ(xs[0].at("args").at("axes").at("ax\"is"), 1);
  EXPECT_EQ(xs[2].at("name"), kOddKernel);
  EXPECT_EQ(j.at("otherData").at("schedule"), t.schedule);
  EXPECT_EQ(events_with_phase(j, "M")[1].at("args").at("name"), "w\\0");
}

TEST(TraceChromeJson, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  Trace t = sample_trace();
  t.tasks[0].kernel = "caf\xc3\xa9-\xff\xc3";   // valid é, then a stray byte and a cut sequence
  const json j = json::parse(t.chrome_json());  // a strict parser must accept it
  EXPECT_EQ(events_with_phase(j, "X")[0].at("name"), "caf\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(TraceChromeJson, EmptyTraceIsStillValid) {
  const json j = json::parse(Trace{}.chrome_json());
  EXPECT_EQ(events_with_phase(j, "X").size(), 0u);
  EXPECT_EQ(events_with_phase(j, "M").size(), 1u);  // the process name
  EXPECT_EQ(j.at("stats").at("tasks"), 0);
}

TEST(TraceChromeJson, ManyTasksStayParseable) {
  Trace t;
  t.backend = "sim";
  t.worker_names = {"core 0", "core 1", "core 2", "core 3"};
  for (std::uint64_t i = 0; i < 50'000; ++i) {
    const auto start = static_cast<std::int64_t>(i / 4 * 100);
    t.tasks.push_back(
        event(i, i % 3 == 0 ? "mm" : "add", static_cast<int>(i % 4), start, start + 90));
    t.tasks.back().axes = {{"i", static_cast<std::int64_t>(i)}};
    if (i > 0) t.tasks.back().deps = {i - 1};
  }
  const json j = json::parse(t.chrome_json());
  EXPECT_EQ(events_with_phase(j, "X").size(), t.tasks.size());
  EXPECT_EQ(j.at("traceEvents").back().at("args").at("task"), 49'999);
}

// --- HTML --------------------------------------------------------------------------------------

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// The JSON object the page assigns to D.
json embedded_data(const std::string& html) {
  const std::string open = "const D = ";
  const std::size_t from = html.find(open);
  const std::size_t to = html.find(";\n</script>", from);
  EXPECT_NE(from, std::string::npos);
  EXPECT_NE(to, std::string::npos);
  return json::parse(html.substr(from + open.size(), to - from - open.size()));
}

TEST(TraceHtml, IsOneSelfContainedPage) {
  const std::string h = sample_trace().html();
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(h.find("<canvas"), std::string::npos);
  EXPECT_EQ(h.find("http://"), std::string::npos);
  EXPECT_EQ(h.find("https://"), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find(" src="), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_NE(h.find("</html>"), std::string::npos);
}

TEST(TraceHtml, NamesEveryKernelAndWorker) {
  const std::string h = sample_trace().html();
  EXPECT_NE(h.find("attn"), std::string::npos);
  EXPECT_NE(h.find("k&quot;\\x"), std::string::npos);          // legend, HTML-escaped
  EXPECT_NE(h.find("ffn&lt;/script&gt;"), std::string::npos);  // legend, HTML-escaped
  const json d = embedded_data(h);
  EXPECT_EQ(d.at("kernels"), (json{"attn", "ffn</script>", kOddKernel}));  // sorted by name
  EXPECT_EQ(d.at("workers"), (json{"worker 0 (queues 0, 2)", "worker 1 (queues 1)"}));
  EXPECT_EQ(d.at("colors").size(), 3u);
}

TEST(TraceHtml, DataCannotCloseTheScriptElement) {
  const std::string h = sample_trace().html();
  // Only the page's own two script elements close; the kernel "ffn</script>" and the workload
  // text "</script><b>" do not.
  EXPECT_EQ(count(h, "<script>"), 2u);
  EXPECT_EQ(count(h, "</script>"), 2u);
  EXPECT_EQ(h.find("</script><b>"), std::string::npos);
  EXPECT_NE(h.find("ffn\\u003c/script\\u003e"), std::string::npos);
  EXPECT_NE(h.find("&lt;/script&gt;&lt;b&gt;bold"), std::string::npos);  // the workload
  EXPECT_NE(h.find("dispatch(round_robin) &amp; &quot;streams&quot; &lt;2&gt;"),
            std::string::npos);  // the schedule
}

TEST(TraceHtml, EmbedsEveryTaskWithItsFields) {
  const Trace t = sample_trace();
  const json d = embedded_data(t.html());
  ASSERT_EQ(d.at("tasks").size(), t.tasks.size());
  // [id, kernel, worker, queue, home_queue, stream, issue_seq, issue_group, priority,
  //  gen, ready, issue, start, end, [axis, value, ...], [deps]]
  const json& task2 = d.at("tasks")[2];
  EXPECT_EQ(task2, (json{2, 2, 1, 1, 0, 1, 5, 2, -7, 750, 1500, 2999, 3000, 7000, json::array(),
                         json{0, 1}}));
  const json& task0 = d.at("tasks")[0];
  EXPECT_EQ(d.at("axes"), (json{"b", "t"}));
  EXPECT_EQ(task0.at(14), (json{0, 0, 1, 3}));
}

TEST(TraceHtml, ShowsTheStatsTable) {
  const std::string h = sample_trace().html();
  EXPECT_NE(h.find("<table class=\"stats\""), std::string::npos);
  EXPECT_NE(h.find("<tr><th>makespan</th><td class=\"num\">0.009 ms</td></tr>"), std::string::npos);
  EXPECT_NE(h.find("<tr><th>window stalls</th><td class=\"num\">1</td></tr>"), std::string::npos);
  EXPECT_NE(h.find("<td>0,2</td>"), std::string::npos);  // worker 0's queues
  EXPECT_NE(h.find("55.6%"), std::string::npos);         // worker 0's utilisation
  EXPECT_NE(h.find("<tr><td>attn</td><td class=\"num\">3</td><td class=\"num\">0.008 ms</td>"
                   "<td class=\"num\">2533.3 ns</td></tr>"),
            std::string::npos);
}

// --- files -------------------------------------------------------------------------------------

class TraceFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pto_wsp_trace_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::filesystem::path dir_;
};

TEST_F(TraceFiles, WritesBothFormatsThatReadBackUnchanged) {
  const Trace t = sample_trace();
  const auto json_path = dir_ / "trace.json";
  const auto html_path = dir_ / "trace.html";
  t.write_chrome_json(json_path.string());
  t.write_html(html_path.string());
  EXPECT_EQ(read(json_path), t.chrome_json());
  EXPECT_EQ(read(html_path), t.html());
  EXPECT_EQ(events_with_phase(json::parse(read(json_path)), "X").size(), t.tasks.size());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "trace.json.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "trace.html.tmp"));
}

TEST_F(TraceFiles, OverwritesAnExistingFile) {
  const auto path = dir_ / "trace.json";
  std::ofstream(path) << "old";
  sample_trace().write_chrome_json(path.string());
  EXPECT_EQ(read(path), sample_trace().chrome_json());
}

TEST_F(TraceFiles, UnwritablePathIsAnExecutionErrorNamingThePath) {
  EXPECT_THROW_MSG(sample_trace().write_chrome_json("/nonexistent-dir/x.json"), ExecutionError,
                   "write_chrome_json", "'/nonexistent-dir/x.json'", "No such file or directory");
  EXPECT_THROW_MSG(sample_trace().write_html("/nonexistent-dir/x.html"), ExecutionError,
                   "write_html", "'/nonexistent-dir/x.html'");
}

TEST_F(TraceFiles, FailedRenameLeavesNoTemporaryFile) {
  // A directory is in the way: the temporary file is written, the rename onto it fails.
  const auto path = dir_ / "taken";
  std::filesystem::create_directories(path / "inside");
  EXPECT_THROW_MSG(sample_trace().write_html(path.string()), ExecutionError, path.string(),
                   "rename");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "taken.tmp"));
  EXPECT_TRUE(std::filesystem::is_directory(path / "inside"));
}

// --- ProgramStats ------------------------------------------------------------------------------

TEST(ProgramStatsFormat, JsonHasEveryField) {
  const ProgramStats s = sample_stats();
  const json j = json::parse(s.to_json());
  EXPECT_EQ(j.at("backend"), "cpu");
  EXPECT_EQ(j.at("tasks"), 4);
  EXPECT_EQ(j.at("queues"), 2);
  EXPECT_EQ(j.at("makespan_ns"), 9'000);
  EXPECT_EQ(j.at("generation_ns"), 1'500);
  EXPECT_EQ(j.at("validation_ns"), 250);
  EXPECT_EQ(j.at("scheduling_ns"), 800);
  EXPECT_DOUBLE_EQ(j.at("scheduling_ns_per_task").get<double>(), 200.0);
  EXPECT_EQ(j.at("idle_ns"), 3'000);
  EXPECT_EQ(j.at("helper_chunks"), 3);
  EXPECT_EQ(j.at("window_size"), 8192);
  EXPECT_EQ(j.at("window_stalls"), 1);
  EXPECT_EQ(j.at("window_stall_ns"), 40);
  EXPECT_EQ(j.at("window_high_water"), 4);
  EXPECT_EQ(j.at("critical_path_ns"), 6'000);
  EXPECT_EQ(j.at("stolen"), 1);
  EXPECT_EQ(j.at("memory_wait_ns"), 70);
  ASSERT_EQ(j.at("workers").size(), 2u);
  EXPECT_EQ(j.at("workers")[0].at("tasks"), 2);
  EXPECT_EQ(j.at("workers")[0].at("busy_ns"), 5'000);
  EXPECT_DOUBLE_EQ(j.at("workers")[0].at("utilisation").get<double>(), 5.0 / 9.0);
  EXPECT_EQ(j.at("workers")[0].at("queues"), (json{0, 2}));
  EXPECT_EQ(j.at("workers")[1].at("queues"), (json{1}));
  ASSERT_EQ(j.at("kernels").size(), 2u);
  EXPECT_EQ(j.at("kernels")[0], (json{{"kernel", "attn"}, {"tasks", 3}, {"busy_ns", 7'600}}));
  EXPECT_EQ(j.at("kernels")[1], (json{{"kernel", "norm"}, {"tasks", 1}, {"busy_ns", 1'400}}));
  EXPECT_EQ(j.size(), 19u) << "a field was added: print it here too";
}

TEST(ProgramStatsFormat, JsonWritesNonFiniteRatiosAsNull) {
  ProgramStats s;
  s.scheduling_ns_per_task = std::numeric_limits<double>::quiet_NaN();
  s.workers = {{0, 0, std::numeric_limits<double>::infinity(), {}, "", ""}};
  const json j = json::parse(s.to_json());
  EXPECT_TRUE(j.at("scheduling_ns_per_task").is_null());
  EXPECT_TRUE(j.at("workers")[0].at("utilisation").is_null());
  EXPECT_EQ(j.at("workers")[0].at("queues"), json::array());
}

TEST(ProgramStatsFormat, TextHasOneLinePerQuantityAndPerWorker) {
  ProgramStats s = sample_stats();
  s.tasks = 6;
  const std::string text = s.to_string();
  EXPECT_NE(text.find("tasks 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("backend cpu\n"), std::string::npos);
  EXPECT_NE(text.find("makespan 0.009 ms\n"), std::string::npos);
  EXPECT_NE(text.find("scheduling per task 200.0 ns\n"), std::string::npos);
  EXPECT_NE(text.find("window high water 4\n"), std::string::npos);
  EXPECT_NE(text.find("worker 0  queues 0,2  tasks 2  busy 0.005 ms  util 55.6%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("worker 1  queues 1    tasks 2  busy 0.004 ms  util 44.4%"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("memory wait 0.000 ms\n"), std::string::npos);
  EXPECT_NE(text.find("kernel attn  tasks 3  busy 0.008 ms  mean 2533.3 ns\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("kernel norm  tasks 1  busy 0.001 ms  mean 1400.0 ns"), std::string::npos)
      << text;
  // 17 quantities, 2 workers, 2 kernels, no final newline
  EXPECT_EQ(count(text, "\n"), 17u + 2u + 2u - 1u);
  EXPECT_NE(text.back(), '\n');
}

}  // namespace
}  // namespace pto::wsp
