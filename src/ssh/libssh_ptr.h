#pragma once

// Owning pointers for libssh's handles. Private to the gateway's sources.

#include <libssh/libssh.h>
#include <libssh/server.h>

#include <memory>
#include <type_traits>

namespace yard::ssh {

template <typename T, void (*Free)(T)>
struct LibsshDeleter {
  void operator()(T handle) const { Free(handle); }
};

template <typename T, void (*Free)(T)>
using LibsshPtr = std::unique_ptr<std::remove_pointer_t<T>, LibsshDeleter<T, Free>>;

using SessionPtr = LibsshPtr<ssh_session, ssh_free>;
using BindPtr = LibsshPtr<ssh_bind, ssh_bind_free>;
using EventPtr = LibsshPtr<ssh_event, ssh_event_free>;
using KeyPtr = LibsshPtr<ssh_key, ssh_key_free>;

}  // namespace yard::ssh
