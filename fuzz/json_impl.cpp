// Boost.JSON compiled into the fuzz targets (header-only mode), so the parser is instrumented too.
#include <boost/json/src.hpp>
