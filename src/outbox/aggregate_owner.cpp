// Composition of the owner's SQL fragments into the platform's statements.
#include <prequal/outbox/aggregate_owner.hpp>

namespace prequal::outbox {

std::string with_key(std::string text, std::string_view key_expression) {
    constexpr std::string_view placeholder = "{key}";
    for (auto at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + key_expression.size()))
        text.replace(at, placeholder.size(), key_expression);
    return text;
}

}  // namespace prequal::outbox
