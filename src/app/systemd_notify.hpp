// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram per state change to the
// AF_UNIX socket named by $NOTIFY_SOCKET. The protocol is a few lines and stable; linking libsystemd for it
// would add a runtime dependency to every install, including the container image that never runs systemd.
#pragma once

#include <string_view>

namespace prequal::app {

/// True when the process was started by systemd with Type=notify (NOTIFY_SOCKET is set).
bool systemd_notify_requested();

/// Sends `state` (newline-separated assignments, e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET. A path
/// starting with '@' is an abstract socket. Never blocks (MSG_DONTWAIT); false when unset or the send failed.
bool notify_systemd(std::string_view state);

}  // namespace prequal::app
