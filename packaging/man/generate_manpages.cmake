# Writes the man pages from the programs' own help text, so that `--help` and `man` can
# never disagree. Run at build time (see packaging/CMakeLists.txt):
#
#   cmake -DCLI=<built harmonizer-cli> -DOUT_DIR=<dir>/man1 -DVERSION=0.1.0
#         [-DSTUDIO=<built harmonizer-studio> -DSTUDIO_PAGE=<harmonizer-studio.1.in>]
#         [-DGZIP=/bin/gzip] [-DSTAMP=<file>] -P generate_manpages.cmake
#
# Pages: harmonizer-cli.1 (overview: the command list of `harmonizer-cli --help`),
# harmonizer-cli-<command>.1 for every command that overview lists (from `<command> --help`),
# and harmonizer-studio.1 (hand-written text around the options of `harmonizer-studio --help`).
# The help text layout this reads is the one app/cli/cli_common.cpp (ArgParser::help) and
# app/cli/main.cpp print: "Usage: ..." line, description paragraphs, "Heading:" lines,
# two-space-indented "left column  help text" entries whose help may continue on lines
# indented further. Anything else indented is kept verbatim.

cmake_minimum_required(VERSION 3.22)

foreach(required CLI OUT_DIR VERSION)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "generate_manpages.cmake: -D${required}=... is required")
  endif()
endforeach()

# Help text is split into lines through CMake lists; these characters would otherwise
# be taken as list separators or list brackets.
set(SEMICOLON_TOKEN "@HZ_SEMICOLON@")
set(OPEN_BRACKET_TOKEN "@HZ_OPEN_BRACKET@")
set(CLOSE_BRACKET_TOKEN "@HZ_CLOSE_BRACKET@")

function(split_lines text out_var)
  string(REPLACE ";" "${SEMICOLON_TOKEN}" text "${text}")
  string(REPLACE "[" "${OPEN_BRACKET_TOKEN}" text "${text}")
  string(REPLACE "]" "${CLOSE_BRACKET_TOKEN}" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

# Escapes plain text for roff: backslashes, minus signs (so options copy and paste as ASCII
# hyphen-minus) and a leading control character.
function(roff_escape text out_var)
  string(REPLACE "${SEMICOLON_TOKEN}" ";" text "${text}")
  string(REPLACE "${OPEN_BRACKET_TOKEN}" "[" text "${text}")
  string(REPLACE "${CLOSE_BRACKET_TOKEN}" "]" text "${text}")
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  if(text MATCHES "^[.']")
    set(text "\\&${text}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# "-o, --output OUT" -> option names bold, value names italic.
function(roff_option_term term out_var)
  string(REPLACE ", " "," term "${term}")
  string(REPLACE "," ";,;" term "${term}")
  string(REPLACE " " ";" words "${term}")
  set(result "")
  set(previous "")
  foreach(word IN LISTS words)
    string(REGEX REPLACE "^<(.*)>$" "\\1" word "${word}")  # Qt writes values as <NAME>
    roff_escape("${word}" escaped)
    if(word STREQUAL ",")
      string(APPEND result ", ")
    elseif(word MATCHES "^-")
      if(NOT result STREQUAL "" AND NOT previous STREQUAL ",")
        string(APPEND result " ")
      endif()
      string(APPEND result "\\fB${escaped}\\fR")
    else()
      if(NOT result STREQUAL "" AND NOT previous STREQUAL ",")
        string(APPEND result " ")
      endif()
      string(APPEND result "\\fI${escaped}\\fR")
    endif()
    set(previous "${word}")
  endforeach()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()

function(run_help out_var)
  execute_process(COMMAND "${CLI}" ${ARGN}
    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE errors)
  if(NOT status EQUAL 0 OR output STREQUAL "")
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "generate_manpages: `${CLI} ${shown}` failed (exit ${status}): ${errors}")
  endif()
  set(${out_var} "${output}" PARENT_SCOPE)
endfunction()

# Converts help text (everything after its "Usage:" line) into roff sections.
# Text before the first heading becomes DESCRIPTION; "Options:" becomes OPTIONS; other
# headings keep their name. Entries ("  term  help") become tagged paragraphs; other
# indented lines are command examples (kept verbatim) or list lines (indented, filled).
macro(close_block)
  if(block STREQUAL "verbatim")
    string(APPEND roff ".fi\n")
  elseif(block STREQUAL "list")
    string(APPEND roff ".RE\n")
  endif()
  set(block "")
endmacro()

function(help_body_to_roff lines out_var)
  set(roff "")
  set(section "")
  set(block "")  # "", "verbatim" (.nf) or "list" (.RS)
  set(in_entry FALSE)
  set(paragraph_break FALSE)
  foreach(line IN LISTS lines)
    if(line STREQUAL "")
      close_block()
      set(in_entry FALSE)
      set(paragraph_break TRUE)
      continue()
    endif()
    if(line MATCHES "^([A-Z][A-Za-z ]*):$")
      close_block()
      string(TOUPPER "${CMAKE_MATCH_1}" heading)
      string(APPEND roff ".SH ${heading}\n")
      set(section "${heading}")
      set(in_entry FALSE)
      set(paragraph_break FALSE)
      continue()
    endif()
    if(section STREQUAL "")
      string(APPEND roff ".SH DESCRIPTION\n")
      set(section "DESCRIPTION")
      set(paragraph_break FALSE)
    endif()

    if(NOT line MATCHES "^ ")
      # Prose: a paragraph per blank-line-separated block.
      close_block()
      if(paragraph_break)
        string(APPEND roff ".PP\n")
      endif()
      roff_escape("${line}" escaped)
      string(APPEND roff "${escaped}\n")
      set(in_entry FALSE)
      set(paragraph_break FALSE)
      continue()
    endif()

    string(REGEX REPLACE "^ +" "" content "${line}")
    string(REGEX MATCH "^ +" indent "${line}")
    string(LENGTH "${indent}" indent_width)
    if(in_entry AND indent_width GREATER 4)
      # Help text continued under a long entry.
      roff_escape("${content}" escaped)
      string(APPEND roff "${escaped}\n")
      continue()
    endif()
    string(FIND "${content}" "  " gap)
    if(indent_width EQUAL 2 AND (gap GREATER 0 OR content MATCHES "^-")
       AND NOT section MATCHES "^(DESCRIPTION|EXAMPLES?)$")
      close_block()
      if(gap GREATER 0)
        string(SUBSTRING "${content}" 0 ${gap} term)
        string(SUBSTRING "${content}" ${gap} -1 help)
        string(REGEX REPLACE "^ +" "" help "${help}")
      else()
        set(term "${content}")
        set(help "")
      endif()
      if(term MATCHES "^-")
        roff_option_term("${term}" term_roff)
      else()
        roff_escape("${term}" term_roff)
        set(term_roff "\\fB${term_roff}\\fR")
      endif()
      string(APPEND roff ".TP\n${term_roff}\n")
      if(NOT help STREQUAL "")
        roff_escape("${help}" help_roff)
        string(APPEND roff "${help_roff}\n")
      endif()
      set(in_entry TRUE)
      set(paragraph_break FALSE)
      continue()
    endif()

    if(section MATCHES "^EXAMPLES?$" OR content MATCHES "^(harmonizer-|\\$ )")
      set(wanted "verbatim")  # a command line: exactly as printed
    else()
      set(wanted "list")      # e.g. "mp4v: MPEG-4 ...": indented, wrapped to the page
    endif()
    if(NOT block STREQUAL wanted)
      close_block()
      if(wanted STREQUAL "verbatim")
        string(APPEND roff ".PP\n.nf\n")
      else()
        string(APPEND roff ".RS 2\n")
      endif()
      set(block "${wanted}")
    elseif(block STREQUAL "list")
      string(APPEND roff ".br\n")
    endif()
    if(block STREQUAL "verbatim")
      roff_escape("${line}" escaped)
    else()
      roff_escape("${content}" escaped)
    endif()
    string(APPEND roff "${escaped}\n")
    set(in_entry FALSE)
    set(paragraph_break FALSE)
  endforeach()
  close_block()
  set(${out_var} "${roff}" PARENT_SCOPE)
endfunction()

function(roff_synopsis usage_lines out_var)
  set(roff ".SH SYNOPSIS\n")
  set(first TRUE)
  foreach(usage IN LISTS usage_lines)
    if(NOT first)
      string(APPEND roff ".br\n")
    endif()
    set(first FALSE)
    # "harmonizer-cli apply --image IN ..." -> program and command bold, the rest as printed.
    # ("harmonizer-cli COMMAND": the capitalised word is a placeholder, not bold.)
    string(REGEX MATCH "^harmonizer-cli( [a-z][a-z0-9-]*)?" program "${usage}")
    string(LENGTH "${program}" program_length)
    string(SUBSTRING "${usage}" ${program_length} -1 arguments)
    string(REGEX REPLACE "^ +" "" arguments "${arguments}")
    roff_escape("${arguments}" arguments_roff)
    if(program STREQUAL "")  # a continued usage line
      string(APPEND roff "${arguments_roff}\n")
    else()
      roff_escape("${program}" program_roff)
      string(APPEND roff "\\fB${program_roff}\\fR ${arguments_roff}\n")
    endif()
  endforeach()
  set(${out_var} "${roff}" PARENT_SCOPE)
endfunction()

set(MODEL_FILES_SECTION [=[.SH FILES
.TP
\fI../share/harmonizer\-studio/models/harmonizer.hzm\fR
The network weights, found relative to the program's own directory (installed from the
package: \fI/usr/share/harmonizer\-studio/models/harmonizer.hzm\fR). Its model card is
\fIREADME.md\fR next to it.
.TP
\fI../share/harmonizer\-studio/resources/sample/\fR
A sample composite (\fIcomposite.jpg\fR) and its foreground mask (\fImask.png\fR).
]=])

set(EXIT_STATUS_SECTION [=[.SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
failure; one line on standard error names the file and the problem
.TP
.B 2
usage error (unknown or missing option, value out of range)
]=])

function(write_page name content)
  set(page "${OUT_DIR}/${name}.1")
  file(WRITE "${page}" "${content}")
  if(GZIP)
    # -n: no name or time stamp in the header, so the package is reproducible.
    execute_process(COMMAND "${GZIP}" -9 -n -f "${page}" RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
      message(FATAL_ERROR "generate_manpages: ${GZIP} failed on ${page}")
    endif()
  endif()
endfunction()

function(page_header name title)
  string(TOUPPER "${name}" upper)
  roff_escape("${upper}" upper)
  set(header ".\\\" Generated at build time by packaging/man/generate_manpages.cmake from `${title}`; do not edit.\n")
  string(APPEND header ".TH ${upper} 1 \"\" \"harmonizer-cli ${VERSION}\" \"Harmonizer Studio\"\n")
  string(APPEND header ".nh\n")  # no hyphenation: command and option names must stay whole
  set(page_header_text "${header}" PARENT_SCOPE)
endfunction()

# Old pages would otherwise survive a renamed or removed command.
file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")

# ---- harmonizer-cli.1: the overview ----
run_help(overview --help)
split_lines("${overview}" overview_lines)
set(tagline "")
set(usage_lines "")
set(command_names "")
set(in_usage FALSE)
set(in_commands FALSE)
set(body_lines "")
foreach(line IN LISTS overview_lines)
  if(line MATCHES "^harmonizer-cli [^:]*: (.*)$" AND tagline STREQUAL "")
    set(tagline "${CMAKE_MATCH_1}")
    continue()
  endif()
  if(line MATCHES "^Usage: +(.*)$")
    list(APPEND usage_lines "${CMAKE_MATCH_1}")
    set(in_usage TRUE)
    continue()
  endif()
  if(in_usage AND line MATCHES "^ +(harmonizer-cli.*)$")
    list(APPEND usage_lines "${CMAKE_MATCH_1}")
    continue()
  endif()
  set(in_usage FALSE)
  if(line STREQUAL "Commands:")
    set(in_commands TRUE)
  elseif(line STREQUAL "" OR NOT line MATCHES "^ ")
    set(in_commands FALSE)
  elseif(in_commands AND line MATCHES "^  ([a-z][a-z0-9-]*) +(.*)$")  # a long name may leave one space
    list(APPEND command_names "${CMAKE_MATCH_1}")
    set(summary_${CMAKE_MATCH_1} "${CMAKE_MATCH_2}")
    # The command list becomes its own section with references to the per-command pages.
    continue()
  endif()
  list(APPEND body_lines "${line}")
endforeach()
if(tagline STREQUAL "" OR usage_lines STREQUAL "" OR command_names STREQUAL "")
  message(FATAL_ERROR "generate_manpages: `${CLI} --help` does not have the expected layout "
                      "(first line 'harmonizer-cli VERSION: what it does', a Usage: line, a Commands: list)")
endif()

page_header("harmonizer-cli" "harmonizer-cli --help")
set(page "${page_header_text}")
roff_escape("${tagline}" tagline_roff)
string(APPEND page ".SH NAME\nharmonizer\\-cli \\- ${tagline_roff}\n")
roff_synopsis("${usage_lines}" synopsis)
string(APPEND page "${synopsis}")
# What is left of the overview: the "Commands:" heading (now empty) and the global options.
set(commands_roff "")
foreach(command IN LISTS command_names)
  roff_escape("${command}" command_roff)
  roff_escape("${summary_${command}}" summary_roff)
  string(APPEND commands_roff ".TP\n\\fB${command_roff}\\fR\n${summary_roff}\n(see \\fBharmonizer\\-cli\\-${command_roff}\\fR(1))\n")
endforeach()
help_body_to_roff("${body_lines}" body)
# The overview's global options sit under its "Commands:" heading after a blank line;
# name them as options here.
if(body MATCHES "\n\\.SH OPTIONS\n")
  string(REPLACE ".SH COMMANDS\n" ".SH COMMANDS\n${commands_roff}" body "${body}")
else()
  string(REPLACE ".SH COMMANDS\n" ".SH COMMANDS\n${commands_roff}.SH OPTIONS\n" body "${body}")
endif()
string(REPLACE ".SH DESCRIPTION\n.SH" ".SH" body "${body}")
string(APPEND page ".SH DESCRIPTION\n"
  "\\fBharmonizer\\-cli\\fR harmonizes photo composites: a network predicts six photo\\-filter values "
  "(temperature, brightness, contrast, saturation, highlight, shadow) for the masked foreground and "
  "a renderer applies them at full resolution, leaving the background bit for bit as it was. "
  "Each command is described in its own page and by \\fBharmonizer\\-cli \\fICOMMAND\\fB \\-\\-help\\fR.\n"
  "${body}")
string(APPEND page "${EXIT_STATUS_SECTION}${MODEL_FILES_SECTION}")
set(see_also "")
foreach(command IN LISTS command_names)
  string(APPEND see_also ".BR harmonizer\\-cli\\-${command} (1),\n")
endforeach()
string(APPEND page ".SH SEE ALSO\n${see_also}.BR harmonizer\\-studio (1)\n")
write_page("harmonizer-cli" "${page}")

# ---- harmonizer-cli-<command>.1 ----
foreach(command IN LISTS command_names)
  run_help(help ${command} --help)
  split_lines("${help}" help_lines)
  set(usage "")
  set(in_usage FALSE)
  set(body_lines "")
  foreach(line IN LISTS help_lines)
    if(usage STREQUAL "" AND line MATCHES "^Usage: +(.*)$")
      set(usage "${CMAKE_MATCH_1}")
      set(in_usage TRUE)
    elseif(in_usage AND line MATCHES "^ +(.*)$")  # more forms, or the usage continued
      list(APPEND usage "${CMAKE_MATCH_1}")
    else()
      set(in_usage FALSE)
      list(APPEND body_lines "${line}")
    endif()
  endforeach()
  if(usage STREQUAL "")
    message(FATAL_ERROR "generate_manpages: `${CLI} ${command} --help` has no 'Usage:' line")
  endif()
  page_header("harmonizer-cli-${command}" "harmonizer-cli ${command} --help")
  set(page "${page_header_text}")
  roff_escape("${command}" command_roff)
  roff_escape("${summary_${command}}" summary_roff)
  string(APPEND page ".SH NAME\nharmonizer\\-cli\\-${command_roff} \\- ${summary_roff}\n")
  roff_synopsis("${usage}" synopsis)
  string(APPEND page "${synopsis}")
  help_body_to_roff("${body_lines}" body)
  string(APPEND page "${body}${EXIT_STATUS_SECTION}")
  if(help MATCHES "model|sample")
    string(APPEND page "${MODEL_FILES_SECTION}")
  endif()
  string(APPEND page ".SH SEE ALSO\n.BR harmonizer\\-cli (1),\n.BR harmonizer\\-studio (1)\n")
  write_page("harmonizer-cli-${command}" "${page}")
endforeach()

# ---- harmonizer-studio.1: hand-written text around the editor's own --help ----
if(DEFINED STUDIO)
  if(NOT DEFINED STUDIO_PAGE)
    message(FATAL_ERROR "generate_manpages.cmake: -DSTUDIO needs -DSTUDIO_PAGE=<harmonizer-studio.1.in>")
  endif()
  # A Qt program needs a display even to print its help; the offscreen platform stands in
  # (only for this build step).
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env QT_QPA_PLATFORM=offscreen "${STUDIO}" --help
    RESULT_VARIABLE status OUTPUT_VARIABLE studio_help ERROR_VARIABLE errors TIMEOUT 120)
  if(NOT status EQUAL 0 OR studio_help STREQUAL "")
    message(FATAL_ERROR "generate_manpages: `${STUDIO} --help` failed (exit ${status}): ${errors}")
  endif()
  split_lines("${studio_help}" help_lines)
  set(usage "")
  set(body_lines "")
  set(seen_heading FALSE)
  foreach(line IN LISTS help_lines)
    if(usage STREQUAL "" AND line MATCHES "^Usage: +[^ ]*harmonizer-studio(.*)$")
      set(usage "harmonizer-studio${CMAKE_MATCH_1}")  # Qt prints the full path it was run from
    elseif(line MATCHES "^[A-Z][A-Za-z ]*:$")
      set(seen_heading TRUE)
      list(APPEND body_lines "${line}")
    elseif(seen_heading)
      # The one-line description before the first heading is replaced by the page's own.
      list(APPEND body_lines "${line}")
    endif()
  endforeach()
  if(usage STREQUAL "" OR NOT seen_heading)
    message(FATAL_ERROR "generate_manpages: `${STUDIO} --help` does not have the expected layout "
                        "(a 'Usage: ... harmonizer-studio ...' line and an 'Options:' list)")
  endif()
  string(REGEX REPLACE "^harmonizer-studio +" "" arguments "${usage}")
  roff_escape("${arguments}" arguments_roff)
  set(synopsis ".SH SYNOPSIS\n\\fBharmonizer\\-studio\\fR ${arguments_roff}")
  help_body_to_roff("${body_lines}" help_sections)
  string(REGEX REPLACE "\n$" "" help_sections "${help_sections}")
  file(READ "${STUDIO_PAGE}" studio_page)
  string(REPLACE "@VERSION@" "${VERSION}" studio_page "${studio_page}")
  string(REPLACE "@SYNOPSIS@" "${synopsis}" studio_page "${studio_page}")
  string(REPLACE "@HELP_SECTIONS@" "${help_sections}" studio_page "${studio_page}")
  write_page("harmonizer-studio" "${studio_page}")
endif()

set(written "harmonizer-cli")
foreach(command IN LISTS command_names)
  string(APPEND written " harmonizer-cli-${command}")
endforeach()
if(DEFINED STUDIO)
  string(APPEND written " harmonizer-studio")
endif()
if(DEFINED STAMP)
  file(WRITE "${STAMP}" "${written}\n")
endif()
message(STATUS "generate_manpages: ${OUT_DIR}: ${written}")
