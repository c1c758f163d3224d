# Checks for `predict` and `harmonize` that need more than an exit code:
#   cmake -DMODE=predict-json -DCLI=... -DMODEL=... -DIMAGE=... -DMASK=... -P model_cli_check.cmake
#       predict --json prints one JSON object with the six keys, each a number in [-1, 1] with 6 decimals.
#   cmake -DMODE=harmonize-equals-apply -DCLI=... -DCHECK=image_check -DMODEL=... -DIMAGE=... -DMASK=... -DOUT=dir
#         -DEXT=png -P ...
#       harmonize equals apply with the values printed by predict --json, and --params-out holds
#       exactly what predict --json prints.
#   cmake -DMODE=batch -DCLI=... -DCHECK=... -DMODEL=... -DDATA=tests/data -DSAMPLE_MASK=... -DOUT=dir -P ...
#       a folder with good and bad pairs: exit 1, each bad pair named on stderr, the good ones written.
#   cmake -DMODE=spread -DCLI=... -DMODEL=... -DIMAGE=... -DMASK=... -DOUT=dir -P ...
#       spread over a set holding one composite twice and one with an empty mask: the empty one is
#       skipped with a warning, the count is 2, every std is 0 and min = max; a composite without
#       a mask is a one-line error naming it.
cmake_minimum_required(VERSION 3.22)

set(KEYS temperature brightness contrast saturation highlight shadow)

function(fail)
  string(JOIN "" message ${ARGN})
  message(FATAL_ERROR "${message}")
endfunction()

function(run_ok out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    fail("command failed (${code}): ${ARGN}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Parses predict --json output; sets <prefix>_<key> to each value exactly as printed.
function(parse_params json prefix)
  string(STRIP "${json}" json)
  string(JSON type ERROR_VARIABLE error TYPE "${json}")
  if(error OR NOT type STREQUAL "OBJECT")
    fail("not a JSON object: '${json}' (${error})")
  endif()
  string(JSON length LENGTH "${json}")
  if(NOT length EQUAL 6)
    fail("expected 6 keys, got ${length}: ${json}")
  endif()
  foreach(key ${KEYS})
    string(JSON number ERROR_VARIABLE error GET "${json}" ${key})
    if(error)
      fail("missing key ${key}: ${json}")
    endif()
    if(number GREATER 1 OR number LESS -1)
      fail("${key} = ${number} is outside [-1, 1]")
    endif()
    # CMake's JSON reader reformats numbers; take the printed text for the 6-decimal check.
    if(NOT json MATCHES "\"${key}\": (-?[01][.][0-9][0-9][0-9][0-9][0-9][0-9])[,}]")
      fail("${key} is not printed as a number with 6 decimals: ${json}")
    endif()
    set(${prefix}_${key} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  endforeach()
endfunction()

if(MODE STREQUAL "predict-json")
  run_ok(out ${CLI} predict --json --model ${MODEL} --image ${IMAGE} --mask ${MASK})
  parse_params("${out}" p)

elseif(MODE STREQUAL "harmonize-equals-apply")
  run_ok(json ${CLI} predict --json --model ${MODEL} --image ${IMAGE} --mask ${MASK})
  parse_params("${json}" p)
  set(filter_args)
  foreach(key ${KEYS})
    list(APPEND filter_args --${key} ${p_${key}})
  endforeach()
  set(applied ${OUT}/equals_apply_${EXT}_applied.${EXT})
  set(harmonized ${OUT}/equals_apply_${EXT}_harmonized.${EXT})
  set(params ${OUT}/equals_apply_params_${EXT}.json)
  file(REMOVE ${applied} ${harmonized} ${params})
  run_ok(ignored ${CLI} apply --image ${IMAGE} --mask ${MASK} -o ${applied} ${filter_args})
  run_ok(ignored ${CLI} harmonize --model ${MODEL} --image ${IMAGE} --mask ${MASK} -o ${harmonized} --params-out ${params})
  run_ok(ignored ${CHECK} equal ${applied} ${harmonized})
  file(READ ${params} written)
  if(NOT written STREQUAL json)
    fail("--params-out wrote '${written}', predict --json printed '${json}'")
  endif()
  # The values must do something, or the comparison above proves little.
  run_ok(ignored ${CHECK} foreground-changed ${IMAGE} ${harmonized} ${MASK})

elseif(MODE STREQUAL "spread")
  set(set ${OUT}/spread_set)
  file(REMOVE_RECURSE ${set})
  file(MAKE_DIRECTORY ${set}/composite ${set}/mask)
  foreach(name a b c)
    file(COPY_FILE ${IMAGE} ${set}/composite/${name}.png)
  endforeach()
  file(COPY_FILE ${MASK} ${set}/mask/a.png)
  file(COPY_FILE ${MASK} ${set}/mask/b.png)
  # c: an empty mask (all zero).
  execute_process(COMMAND ${CHECK} black ${set}/mask/c.png 96 64 RESULT_VARIABLE code)
  if(NOT code EQUAL 0)
    fail("image_check black failed")
  endif()
  execute_process(COMMAND ${CLI} spread --set ${set} --model ${MODEL} --json --threads 1
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0 OR NOT out MATCHES "\"count\": 2," OR NOT err MATCHES "c[.]png: empty mask, skipped")
    fail("spread failed (${code}):\n${out}${err}")
  endif()
  foreach(key ${KEYS})
    if(NOT out MATCHES "\"${key}\": {\"mean\": (-?[0-9.]+), \"std\": 0[.]0000, \"min\": (-?[0-9.]+), \"max\": (-?[0-9.]+)}")
      fail("${key}: expected std 0 over one composite twice: ${out}")
    endif()
    if(NOT CMAKE_MATCH_2 STREQUAL CMAKE_MATCH_3)
      fail("${key}: min ${CMAKE_MATCH_2} != max ${CMAKE_MATCH_3}")
    endif()
  endforeach()
  file(REMOVE ${set}/mask/b.png)
  execute_process(COMMAND ${CLI} spread --set ${set} --model ${MODEL} --threads 1
                  RESULT_VARIABLE code ERROR_VARIABLE err OUTPUT_QUIET)
  string(STRIP "${err}" err)
  if(NOT code EQUAL 1 OR err MATCHES "\n" OR NOT err MATCHES "b[.]png: no mask b[.]\\* in ")
    fail("a composite without a mask: expected exit 1 and one line naming it, got ${code}: ${err}")
  endif()

elseif(MODE STREQUAL "batch")
  set(images ${OUT}/batch/images)
  set(masks ${OUT}/batch/masks)
  set(results ${OUT}/batch/results)
  file(REMOVE_RECURSE ${OUT}/batch)
  file(MAKE_DIRECTORY ${images} ${masks})
  # a: png/png; b: jpg image with a png mask (pairs by stem); c: no mask; d: mask of the wrong size;
  # e: 16-bit png.
  file(COPY_FILE ${DATA}/small_composite.png ${images}/a.png)
  file(COPY_FILE ${DATA}/small_mask.png ${masks}/a.png)
  file(COPY_FILE ${DATA}/small_composite.jpg ${images}/b.jpg)
  file(COPY_FILE ${DATA}/small_mask_soft.png ${masks}/b.png)
  file(COPY_FILE ${DATA}/small_composite.png ${images}/c.png)
  file(COPY_FILE ${DATA}/small_composite.png ${images}/d.png)
  file(COPY_FILE ${SAMPLE_MASK} ${masks}/d.png)
  file(COPY_FILE ${DATA}/small_composite16.png ${images}/e.png)
  file(COPY_FILE ${DATA}/small_mask.png ${masks}/e.png)
  execute_process(COMMAND ${CLI} harmonize --model ${MODEL} --image-dir ${images} --mask-dir ${masks} --out-dir ${results}
                  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 1)
    fail("expected exit 1 with two bad pairs, got ${code}:\n${err}")
  endif()
  foreach(pattern "c[.]png: no mask named c[.][*]" "d[.]png: .*mask is [0-9]+x[0-9]+ but the image is 96x64"
                  "\\[5/5\\] e[.]png" "3 of 5 images harmonized.*2 failed")
    if(NOT err MATCHES "${pattern}")
      fail("stderr does not match '${pattern}':\n${err}")
    endif()
  endforeach()
  run_ok(ignored ${CHECK} format ${results}/a.png 96 64 8)
  run_ok(ignored ${CHECK} format ${results}/b.jpg 96 64 8)
  run_ok(ignored ${CHECK} format ${results}/e.png 96 64 16)
  run_ok(ignored ${CHECK} background-equal ${images}/a.png ${results}/a.png ${masks}/a.png)
  foreach(absent c.png d.png)
    if(EXISTS ${results}/${absent})
      fail("${absent} failed but an output was written")
    endif()
  endforeach()
  # --format picks the output type for every file (c and d fail again: exit 1).
  execute_process(COMMAND ${CLI} harmonize --model ${MODEL} --image-dir ${images} --mask-dir ${masks}
                  --out-dir ${results}/tif --format tif RESULT_VARIABLE code OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT code EQUAL 1 OR NOT EXISTS ${results}/tif/a.tif OR NOT EXISTS ${results}/tif/b.tif)
    fail("--format tif: exit ${code}, expected a.tif and b.tif in ${results}/tif:\n${err}")
  endif()
  run_ok(ignored ${CHECK} format ${results}/tif/e.tif 96 64 16)

else()
  fail("unknown MODE '${MODE}'")
endif()
