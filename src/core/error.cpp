#include "posemb/core/error.hpp"
// Anchors the header in the library so that a consumer links one definition.
