// The CSP builder and its wiring checks.
#include "pto/wsp/csp/pipeline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

Workload make(auto&& data) {
  return Workload(std::make_shared<const Node>(Node{std::forward<decltype(data)>(data)}));
}

bool contains(const std::vector<Channel>& list, const Channel& c) {
  return std::find(list.begin(), list.end(), c) != list.end();
}

std::string names(const std::vector<Channel>& list) {
  std::vector<std::string> out;
  for (const Channel& c : list) out.push_back(c.name());
  return out.empty() ? std::string("none") : fmt::format("{}", fmt::join(out, ", "));
}

/// Every channel a process body uses, by how it uses it (not descending into nested pipelines,
/// whose channels are their own).
struct Uses {
  std::vector<Channel> sends, consumes, syncs, queries;
  void visit(const Node& n) {
    std::visit(
        [&](const auto& d) {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, LoopNode>) {
            visit(*d.body);
          } else if constexpr (std::is_same_v<T, CondNode>) {
            visit(*d.then_branch);
            if (d.else_branch) visit(*d.else_branch);
          } else if constexpr (std::is_same_v<T, CombineNode> ||
                               std::is_same_v<T, SequentialNode>) {
            for (const NodePtr& c : d.children) visit(*c);
          } else if constexpr (std::is_same_v<T, SendNode>) {
            sends.push_back(d.channel);
            if (d.body) visit(*d.body);
          } else if constexpr (std::is_same_v<T, ConsumeNode>) {
            (d.once ? syncs : consumes).push_back(d.channel);
            if (d.body) visit(*d.body);
          } else if constexpr (std::is_same_v<T, QueryNode>) {
            queries.push_back(d.event);
            visit(*d.then_branch);
            if (d.else_branch) visit(*d.else_branch);
          }
        },
        n.data);
  }
};

}  // namespace

Channel::Channel(std::string name, int depth) {
  if (name.empty()) throw ChannelError("Channel: the name must not be empty");
  if (depth < 0)
    throw ChannelError(fmt::format(
        "Channel '{}': depth {} is negative; depth must be >= 0 (0: rendezvous)", name, depth));
  decl_ = std::make_shared<const ChannelDecl>(ChannelDecl{std::move(name), depth});
}

Workload send(const Channel& channel, const Workload& item) {
  return make(SendNode{channel, item.root_ptr(), std::nullopt});
}

Workload send(const Channel& channel, Expr value) {
  return make(SendNode{channel, nullptr, std::move(value)});
}

Workload make_consume(const Channel& channel, Var item, const Workload& body) {
  return make(ConsumeNode{channel, std::move(item), body.root_ptr(), false});
}

Workload record(const Event& event) {
  return send(event, Expr(0));
}

Workload synchronize(const Event& event) {
  return make(ConsumeNode{event, Var(event.name()), nullptr, true});
}

Workload query(const Event& event, const Workload& then_branch) {
  return make(QueryNode{event, then_branch.root_ptr(), nullptr});
}

Workload query(const Event& event, const Workload& then_branch, const Workload& else_branch) {
  return make(QueryNode{event, then_branch.root_ptr(), else_branch.root_ptr()});
}

Process::Process(std::string name) {
  if (name.empty()) throw ChannelError("process: the name must not be empty");
  decl_.name = std::move(name);
}

Process& Process::consumes(std::vector<Channel> channels) {
  decl_.consumes = std::move(channels);
  return *this;
}

Process& Process::produces(std::vector<Channel> channels) {
  decl_.produces = std::move(channels);
  return *this;
}

Process& Process::body(const Workload& body) {
  decl_.body = body.root_ptr();
  return *this;
}

Process process(std::string name) {
  return Process(std::move(name));
}

Process replicate(const Process& p, int n) {
  if (n < 1)
    throw ChannelError(
        fmt::format("replicate(process '{}', {}): needs at least one instance", p.decl().name, n));
  Process out = p;
  out.decl_.instances = p.decl().instances * n;
  return out;
}

Workload connect(std::vector<Process> processes, std::vector<Channel> channels) {
  if (processes.empty()) throw ChannelError("connect: needs at least one process");
  for (std::size_t i = 0; i < channels.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (channels[i] == channels[j])
        throw ChannelError(
            fmt::format("connect: channel '{}' is listed twice", channels[i].name()));
  PipelineNode node;
  std::vector<Channel> queried;  // events some process queries (an event may be only queried)
  for (const Process& p : processes) {
    const ProcessDecl& d = p.decl();
    for (const ProcessDecl& other : node.processes)
      if (other.name == d.name)
        throw ChannelError(fmt::format("connect: two processes are named '{}'", d.name));
    if (!d.body) throw ChannelError(fmt::format("process '{}' has no body", d.name));
    for (const auto* list : {&d.consumes, &d.produces})
      for (const Channel& c : *list)
        if (!contains(channels, c))
          throw ChannelError(fmt::format(
              "process '{}' {} channel '{}', which is not connected "
              "(connected: {})",
              d.name, list == &d.consumes ? "consumes" : "produces", c.name(), names(channels)));
    Uses uses;
    uses.visit(*d.body);
    for (const Channel& c : d.consumes)
      if (contains(d.produces, c) && c.depth() == 0)
        throw ChannelError(fmt::format(
            "process '{}' consumes its own output over channel '{}' of depth 0: its send would "
            "wait for its own receive",
            d.name, c.name()));
    for (const Channel& c : uses.sends)
      if (!contains(d.produces, c))
        throw ChannelError(
            fmt::format("process '{}' sends on channel '{}', which it does not "
                        "declare (produces: {})",
                        d.name, c.name(), names(d.produces)));
    for (const auto* used : {&uses.consumes, &uses.syncs})
      for (const Channel& c : *used)
        if (!contains(d.consumes, c))
          throw ChannelError(
              fmt::format("process '{}' consumes channel '{}', which it does not "
                          "declare (consumes: {})",
                          d.name, c.name(), names(d.consumes)));
    for (const Channel& c : uses.queries)
      if (!contains(channels, c))
        throw ChannelError(fmt::format("process '{}' queries event '{}', which is not connected",
                                       d.name, c.name()));
    queried.insert(queried.end(), uses.queries.begin(), uses.queries.end());
    node.processes.push_back(d);
  }
  for (const Channel& c : channels) {
    std::vector<std::string> consumers;
    for (const ProcessDecl& d : node.processes)
      if (contains(d.consumes, c)) consumers.push_back(d.name);
    if (consumers.size() > 1)
      throw ChannelError(
          fmt::format("channel '{}' is consumed by processes {}; a channel has one "
                      "consuming process (replicate it for a pool)",
                      c.name(), fmt::join(consumers, " and ")));
    // An event may be only queried; any other channel needs a consumer.
    if (consumers.empty() && !contains(queried, c))
      throw ChannelError(fmt::format("channel '{}' is consumed by nobody", c.name()));
  }
  node.channels = std::move(channels);
  return make(std::move(node));
}

}  // namespace pto::wsp
