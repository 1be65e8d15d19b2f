# POSEMB_SANITIZE=ON builds every target with ASan + UBSan; UBSan findings abort
# so that a test that triggers undefined behaviour fails instead of printing a warning.
if(POSEMB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
