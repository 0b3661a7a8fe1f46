// EXPECT_THROW_MSG(statement, Type, "part", ...): the statement throws exactly Type (not a
// subclass: error tests pin the type a user catches) and the message contains every part.
#pragma once

#include <exception>
#include <initializer_list>
#include <string>
#include <typeinfo>

#include <gtest/gtest.h>

namespace pto::wsp::testing {

template <typename E, typename F>
void expect_throw_msg(F&& f, const char* type_name, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const std::exception& e) {
    if (typeid(e) != typeid(E)) {
      ADD_FAILURE() << "expected " << type_name << ", got another exception: " << e.what();
      return;
    }
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos)
          << "message \"" << msg << "\" lacks \"" << p << "\"";
    }
    return;
  }
  ADD_FAILURE() << "expected " << type_name << ", nothing was thrown";
}

}  // namespace pto::wsp::testing

#define EXPECT_THROW_MSG(stmt, ExType, ...)                                                       \
  do {                                                                                            \
    SCOPED_TRACE(#stmt);                                                                          \
    ::pto::wsp::testing::expect_throw_msg<ExType>([&] { (void)(stmt); }, #ExType, {__VA_ARGS__}); \
  } while (0)
