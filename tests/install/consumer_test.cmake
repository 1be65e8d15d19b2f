# cmake -P script: install BUILD_DIR into WORK_DIR/prefix, configure and build EXAMPLE_DIR
# against it with find_package(posemb), run it, and compare what it prints to GOLDEN.
file(REMOVE_RECURSE ${WORK_DIR})
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run("configure the consumer" ${CMAKE_COMMAND} -S ${EXAMPLE_DIR} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run("build the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run("run the consumer" ${WORK_DIR}/build/quickstart)
# The example's output must be what PyTorch prints for the same computation.
file(READ ${GOLDEN} expected)
if(NOT last_output STREQUAL expected)
  message(FATAL_ERROR "the consumer printed:\n${last_output}\nbut PyTorch printed (${GOLDEN}):\n${expected}")
endif()
