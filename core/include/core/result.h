#pragma once
// Errors as values. Module APIs return Result<T>; absence is std::optional, not an error.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace sakchy {

enum class ErrorCode {
  kInvalidArgument,    // caller sent something wrong; message names the field
  kNotFound,
  kAlreadyExists,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,  // queue full, too large
  kUnavailable,        // transient: retry later
  kIo,
  kCorruption,
  kInternal,
};

std::string_view ErrorCodeName(ErrorCode code);

// A code and a message a person can act on.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  std::string ToString() const;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline Status OkStatus() { return {}; }

}  // namespace sakchy
