# Checks of `harmonizer-cli mask` and `harmonize --auto-mask` that need more than an exit code.
#   cmake -DMODE=fails -DCODE=1 -DPATTERN=regex -DDIR=empty_folder -DCMD="cli|arg|arg..." -P subject_cli_check.cmake
#       the command exits with CODE, prints one line matching PATTERN, and leaves DIR empty
#       (no output, no temporary file).
#   cmake -DMODE=mask-format -DCLI=... -DCHECK=image_check -DIMAGE=... -DOUT=mask.png -DWIDTH=W -DHEIGHT=H -DARGS="..." -P ...
#       mask writes a 16-bit mask of the image's size.
#   cmake -DMODE=auto-mask-equals-apply -DCLI=... -DCHECK=... -DMODEL=... -DSUBJECT_MODEL=... -DIMAGE=... -DDIR=... -P ...
#       harmonize --auto-mask writes exactly what `apply` writes with the mask that `mask` writes and
#       the values harmonize reports (--params-out), and keeps the pixels where that mask is 0.
#   cmake -DMODE=train -DCLI=... -DSUBJECT_MODEL=... -DIMAGE=... -DMASK=... -DDIR=... -P ...
#       train-subject from a model file (--init) with pasted composites on a folder made of
#       copies of IMAGE/MASK writes a model `mask` can use, with the given version; --resume
#       continues from the checkpoint and --init with --resume is refused.
#   cmake -DMODE=composites -DCLI=... -DSUBJECT_MODEL=... -DIMAGE=... -DMASK=... -DDIR=... -P ...
#       eval-subject --composites scores Select Subject on DIR/set/composite/* against
#       DIR/set/mask/<stem>.*: a composite whose mask is the one `mask` writes for it scores
#       IoU 1 exactly, and a composite without a mask is a one-line error naming it.
cmake_minimum_required(VERSION 3.22)

function(fail)
  string(JOIN "" message ${ARGN})
  message(FATAL_ERROR "${message}")
endfunction()

function(run_ok)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    fail("command failed (${code}): ${ARGN}\n${out}${err}")
  endif()
endfunction()

if(MODE STREQUAL "fails")
  file(REMOVE_RECURSE ${DIR})
  file(MAKE_DIRECTORY ${DIR})
  string(REPLACE "|" ";" CMD "${CMD}")
  execute_process(COMMAND ${CMD} RESULT_VARIABLE code ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT code EQUAL CODE)
    fail("expected exit ${CODE}, got ${code}: ${err}")
  endif()
  string(STRIP "${err}" stripped)
  if(stripped MATCHES "\n")
    fail("expected one line, got:\n${err}")
  endif()
  if(NOT stripped MATCHES "${PATTERN}")
    fail("stderr does not match '${PATTERN}': ${err}")
  endif()
  file(GLOB left ${DIR}/* ${DIR}/.*)
  if(left)
    fail("the failed command left files behind: ${left}")
  endif()

elseif(MODE STREQUAL "mask-format")
  file(REMOVE ${OUT})
  separate_arguments(extra UNIX_COMMAND "${ARGS}")
  run_ok(${CLI} mask --image ${IMAGE} -o ${OUT} ${extra})
  run_ok(${CHECK} format ${OUT} ${WIDTH} ${HEIGHT} 16)

elseif(MODE STREQUAL "auto-mask-equals-apply")
  file(REMOVE_RECURSE ${DIR})
  file(MAKE_DIRECTORY ${DIR})
  run_ok(${CLI} mask --subject-model ${SUBJECT_MODEL} --image ${IMAGE} -o ${DIR}/mask.png)
  run_ok(${CLI} harmonize --auto-mask --model ${MODEL} --subject-model ${SUBJECT_MODEL} --image ${IMAGE}
         -o ${DIR}/auto.png --params-out ${DIR}/params.json)
  file(READ ${DIR}/params.json json)
  set(values)
  foreach(key temperature brightness contrast saturation highlight shadow)
    if(NOT json MATCHES "\"${key}\": (-?[01][.][0-9]+)")
      fail("no ${key} in ${json}")
    endif()
    list(APPEND values --${key} ${CMAKE_MATCH_1})
  endforeach()
  run_ok(${CLI} apply --image ${IMAGE} --mask ${DIR}/mask.png -o ${DIR}/apply.png ${values})
  run_ok(${CHECK} equal ${DIR}/apply.png ${DIR}/auto.png)
  run_ok(${CHECK} background-equal ${IMAGE} ${DIR}/auto.png ${DIR}/mask.png)

elseif(MODE STREQUAL "train")
  file(REMOVE_RECURSE ${DIR})
  file(MAKE_DIRECTORY ${DIR}/grabcut/image ${DIR}/grabcut/mask)  # "grabcut": a salient-object folder
  foreach(k RANGE 1 12)
    file(COPY_FILE ${IMAGE} ${DIR}/grabcut/image/item${k}.png)
    file(COPY_FILE ${MASK} ${DIR}/grabcut/mask/item${k}.png)
  endforeach()
  set(common --data ${DIR}/grabcut --out ${DIR}/run --size 64 --batch 2 --threads 1 --val-every 3
      --checkpoint-every 3 --paste-share 0.5)
  execute_process(COMMAND ${CLI} train-subject ${common} --steps 3 --init ${SUBJECT_MODEL} --version test-run-1
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0 OR NOT out MATCHES "starting from .*random_subject_model[.]hzm" OR NOT out MATCHES "val step 3: whole IoU")
    fail("train-subject --init failed (${code}):\n${out}${err}")
  endif()
  run_ok(${CLI} mask --subject-model ${DIR}/run/last.hzm --image ${IMAGE} -o ${DIR}/mask.png)
  file(STRINGS ${DIR}/run/last.hzm head LIMIT_INPUT 4096 REGEX "model_version|training_notes")
  if(NOT head MATCHES "test-run-1" OR NOT head MATCHES "continued from random_subject_model[.]hzm")
    fail("the trained file does not record its version and start")
  endif()
  execute_process(COMMAND ${CLI} train-subject ${common} --steps 5 --resume
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0 OR NOT out MATCHES "resumed at step 3" OR NOT out MATCHES "step 5/5|val step 5")
    fail("train-subject --resume failed (${code}):\n${out}${err}")
  endif()
  execute_process(COMMAND ${CLI} train-subject ${common} --steps 5 --resume --init ${SUBJECT_MODEL}
                  RESULT_VARIABLE code ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT code EQUAL 2 OR NOT err MATCHES "--init starts a new run")
    fail("--init with --resume: expected exit 2 and a usage line, got ${code}: ${err}")
  endif()

elseif(MODE STREQUAL "composites")
  file(REMOVE_RECURSE ${DIR})
  file(MAKE_DIRECTORY ${DIR}/set/composite ${DIR}/set/mask)
  file(COPY_FILE ${IMAGE} ${DIR}/set/composite/a.png)
  file(COPY_FILE ${IMAGE} ${DIR}/set/composite/b.png)
  run_ok(${CLI} mask --subject-model ${SUBJECT_MODEL} --image ${IMAGE} -o ${DIR}/set/mask/a.png)
  file(COPY_FILE ${MASK} ${DIR}/set/mask/b.png)
  execute_process(COMMAND ${CLI} eval-subject --composites ${DIR}/set --subject-model ${SUBJECT_MODEL} --threads 1
                          --csv ${DIR}/scores.csv
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0 OR NOT out MATCHES ", 2 composites" OR NOT out MATCHES "set +2  IoU [01][.][0-9]+"
     OR NOT out MATCHES "median IoU [01][.][0-9]+, [0-2] of 2 below 0[.]3")
    fail("eval-subject --composites failed (${code}):\n${out}${err}")
  endif()
  file(STRINGS ${DIR}/scores.csv rows)
  list(LENGTH rows count)
  if(NOT count EQUAL 3 OR NOT rows MATCHES "set,a[.]png,1,")
    fail("expected a header, two rows and IoU 1 for a.png, got: ${rows}")
  endif()
  file(REMOVE ${DIR}/set/mask/b.png)
  execute_process(COMMAND ${CLI} eval-subject --composites ${DIR}/set --subject-model ${SUBJECT_MODEL} --threads 1
                  RESULT_VARIABLE code ERROR_VARIABLE err OUTPUT_QUIET)
  string(STRIP "${err}" err)
  if(NOT code EQUAL 1 OR err MATCHES "\n" OR NOT err MATCHES "b[.]png: no mask b[.]\\* in ")
    fail("a composite without a mask: expected exit 1 and one line naming it, got ${code}: ${err}")
  endif()

else()
  fail("unknown MODE '${MODE}'")
endif()
