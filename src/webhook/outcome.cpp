// The names of attempt outcomes: metric label values and words in last_error, so they never change.
#include <prequal/webhook/client.hpp>

namespace prequal::webhook {

std::string_view to_string(outcome kind) {
    switch (kind) {
        case outcome::delivered:
            return "delivered";
        case outcome::rejected:
            return "rejected";
        case outcome::refused:
            return "refused";
        case outcome::unreachable:
            return "unreachable";
        case outcome::tls_failed:
            return "tls_failed";
        case outcome::timed_out:
            return "timed_out";
        case outcome::protocol_error:
            return "protocol_error";
    }
    return "protocol_error";
}

}  // namespace prequal::webhook
