#pragma once

// Result<T>: a value or an Error. The interface follows std::expected (C++23), which g++ 12
// lacks in C++20 mode, so that moving to it later is a search-and-replace.

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/error.h"

namespace yard {

/// Wraps an Error so that `return Unexpected(...)` converts to any Result<T>.
class Unexpected {
 public:
  explicit Unexpected(Error error) : error_(std::move(error)) {}
  Unexpected(ErrorCode code, std::string message) : error_{code, std::move(message)} {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : storage_(std::in_place_index<0>, value) {}
  Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Unexpected> &&
             !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& value) : storage_(std::in_place_index<0>, std::forward<U>(value)) {}
  Result(Unexpected unexpected) : storage_(std::in_place_index<1>, std::move(unexpected).error()) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// REQUIRES: !has_value().
  const Error& error() const& { return std::get<1>(storage_); }
  Error&& error() && { return std::get<1>(std::move(storage_)); }

 private:
  T& Checked() {
    // Reading the value of a failed Result is a programming error, not a runtime condition.
    if (!has_value()) std::abort();
    return std::get<0>(storage_);
  }

  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Unexpected unexpected) : error_(std::move(unexpected).error()), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {
    if (!ok_) std::abort();
  }
  /// REQUIRES: !has_value().
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace yard

// TRY(expr): evaluates a Result; on error returns it from the enclosing function (which must
// return some Result<U>), otherwise yields the value. Uses a GNU statement expression, which
// g++ and clang both support.
#define YARD_CONCAT_INNER(a, b) a##b
#define YARD_CONCAT(a, b) YARD_CONCAT_INNER(a, b)
#define TRY(expr) TRY_IMPL(YARD_CONCAT(try_result_, __COUNTER__), expr)
#define TRY_IMPL(var, expr)                                            \
  __extension__({                                                      \
    auto&& var = (expr);                                               \
    if (!var.has_value()) return ::yard::Unexpected(std::move(var).error()); \
    std::move(var).value();                                            \
  })

// TRY_CTX(expr, context): like TRY, but prefixes the error message with context.
#define TRY_CTX(expr, context) TRY_CTX_IMPL(YARD_CONCAT(try_result_, __COUNTER__), expr, context)
#define TRY_CTX_IMPL(var, expr, context)                                               \
  __extension__({                                                                      \
    auto&& var = (expr);                                                               \
    if (!var.has_value()) return ::yard::Unexpected(var.error().WithContext(context)); \
    std::move(var).value();                                                            \
  })

// MUST(expr): for results that cannot fail unless the program is broken; aborts with the
// message otherwise.
#define MUST(expr) ::yard::internal::MustImpl((expr), #expr, __FILE__, __LINE__)

namespace yard::internal {
[[noreturn]] void MustFailed(const Error& error, const char* expr, const char* file, int line);

template <typename R>
auto MustImpl(R&& result, const char* expr, const char* file, int line) ->
    typename std::decay_t<R>::value_type {
  if (!result.has_value()) MustFailed(result.error(), expr, file, line);
  if constexpr (!std::is_void_v<typename std::decay_t<R>::value_type>) {
    return std::forward<R>(result).value();
  }
}
}  // namespace yard::internal
