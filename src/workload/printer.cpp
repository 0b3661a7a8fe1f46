// The readable, indented tree dump of a workload.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/workload/workload.hpp"

namespace pto::wsp {
namespace {

void print(const Node& n, int depth, std::string& out) {
  const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, TaskNode>) {
          std::vector<std::string> axes, args;
          for (const Var& v : d.axes) axes.push_back(v.name());
          for (const Arg& a : d.args) {
            args.push_back(a.name.empty() ? a.value.to_string()
                                          : fmt::format("{}={}", a.name, a.value.to_string()));
          }
          out += fmt::format("{}task {}[{}]({})\n", indent, d.kernel_name, fmt::join(axes, ", "),
                             fmt::join(args, ", "));
        } else if constexpr (std::is_same_v<T, LoopNode>) {
          std::vector<std::string> vars;
          for (const Var& v : d.vars) vars.push_back(v.name());
          out += fmt::format("{}{} {} in {}\n", indent, name_of(d.kind), fmt::join(vars, ", "),
                             d.domain.to_string());
          print(*d.body, depth + 1, out);
        } else if constexpr (std::is_same_v<T, CondNode>) {
          out += fmt::format("{}cond {}\n", indent, d.pred.to_string());
          print(*d.then_branch, depth + 1, out);
          if (d.else_branch) {
            out += fmt::format("{}else\n", indent);
            print(*d.else_branch, depth + 1, out);
          }
        } else if constexpr (std::is_same_v<T, CombineNode> || std::is_same_v<T, SequentialNode>) {
          out += fmt::format("{}{}\n", indent,
                             std::is_same_v<T, CombineNode> ? "combine" : "sequential");
          for (const NodePtr& c : d.children) print(*c, depth + 1, out);
        } else if constexpr (std::is_same_v<T, SendNode>) {
          if (d.body) {
            out += fmt::format("{}send {}\n", indent, d.channel.name());
            print(*d.body, depth + 1, out);
          } else {
            out +=
                fmt::format("{}send {} token {}\n", indent, d.channel.name(), d.value->to_string());
          }
        } else if constexpr (std::is_same_v<T, ConsumeNode>) {
          if (d.body) {
            out += fmt::format("{}consume {} as {}\n", indent, d.channel.name(), d.var.name());
            print(*d.body, depth + 1, out);
          } else {
            out += fmt::format("{}synchronize {}\n", indent, d.channel.name());
          }
        } else if constexpr (std::is_same_v<T, QueryNode>) {
          out += fmt::format("{}query {}\n", indent, d.event.name());
          print(*d.then_branch, depth + 1, out);
          if (d.else_branch) {
            out += fmt::format("{}else\n", indent);
            print(*d.else_branch, depth + 1, out);
          }
        } else {
          std::vector<std::string> chans;
          for (const Channel& c : d.channels)
            chans.push_back(fmt::format("{}[{}]", c.name(), c.depth()));
          out += fmt::format("{}connect channels {}\n", indent, fmt::join(chans, ", "));
          for (const ProcessDecl& p : d.processes) {
            out += fmt::format("{}  process {}{}\n", indent, p.name,
                               p.instances > 1 ? fmt::format(" x{}", p.instances) : "");
            print(*p.body, depth + 2, out);
          }
        }
      },
      n.data);
}

}  // namespace

std::string Workload::tree_string() const {
  std::string out;
  print(*root_, 0, out);
  return out;
}

}  // namespace pto::wsp
