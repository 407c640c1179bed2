// The one error policy of slm, stated once:
//  - Inside the library, a function that can fail on input it does not control (files, user
//    text, requests) returns Status or Expected<T>. The message names what is wrong: which
//    key/tensor/argument, what was expected and what was found. It is one line.
//  - Programming errors (broken invariants) are SLM_CHECK failures and abort with a location.
//  - The edges (CLI, server) print the message and exit non-zero / answer an error response.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace slm {

class Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.ok_ = false;
    s.message_ = std::move(message);
    return s;
  }
  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }
  // Prefixes context, e.g. "loading model.gguf: " + message.
  Status With(const std::string& context) const {
    return ok_ ? *this : Error(context + ": " + message_);
  }

 private:
  bool ok_ = true;
  std::string message_;
};

template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Expected(Status error) : v_(std::move(error)) {    // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) std::abort();     // an error Expected needs an error
  }
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  const std::string& error() const { return std::get<Status>(v_).message(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace slm

#define SLM_CHECK(cond)                                                          \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

// Propagates an error Status from an expression returning Status.
#define SLM_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::slm::Status _st = (expr);            \
    if (!_st.ok()) return _st;             \
  } while (0)
