/* SPDX-License-Identifier: MIT */
/*
 * scn.h - the scenario language: lexer, parser, command registry and runner.
 *
 * A scenario is a text file with one command per line ("mmap A buf 8M",
 * "fork A B", "expect read B buf+4K \"hello\"").  The language core knows
 * only tokens and argument *types*; every command is an entry in a registry
 * that declares its name, its argument schema, a help line and a handler.
 * Later capabilities (pins, DMA, files, ...) add commands by defining a
 * table of struct scn_cmd in a new scn_<topic>.c file and registering it
 * with SCN_REGISTER(); nothing in the lexer, parser or runner changes.
 *
 * Life of a file:
 *   scn_parse_file()   reads, validates (UTF-8, sizes, numbers) and parses
 *                      every line against the registry; the first error is
 *                      reported as "file:line:col: error: expected ...".
 *   scn_run_script()   builds a fresh model (pnm_init) from the script's
 *                      configuration, executes each step, checks every
 *                      invariant after it, tears the model down (pnm_fini)
 *                      and reports each step to an output sink.
 *
 * Threading: the whole scenario machinery is single-threaded; the model it
 * drives may be called from no other thread while a script runs.
 */
#ifndef PINMM_SCN_H
#define PINMM_SCN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include "util.h"

/* --- limits ---------------------------------------------------------------- */
#define SCN_MAX_FILE		(4u << 20)	/* bytes per scenario file */
#define SCN_MAX_LINE		4096		/* bytes per line, newline excluded */
#define SCN_MAX_NAME		32		/* bytes in a defined name */
#define SCN_MAX_VALUES		64		/* argument values per step */
#define SCN_MAX_MEMORY		(1ULL << 30)	/* model memory, all zones */
#define SCN_MAX_LEN		(1ULL << 48)	/* lengths, offsets, addresses */

/* --- source positions ------------------------------------------------------- */
struct scn_pos {
	const char *file;	/* as given on the command line */
	unsigned int line;	/* 1-based */
	unsigned int col;	/* 1-based, in characters */
};

/* --- argument schema ---------------------------------------------------------
 * A command's arguments are a list of struct scn_arg, terminated by an entry
 * of type SCN_ARG_END.  Parsing produces one struct scn_value per slot, in
 * schema order; SCN_ARG_FLAGS occupies 1 + (number of options) slots and a
 * SCN_ARG_VARIANT (always last) is followed by the slots of the chosen
 * member's own schema.
 */
enum scn_arg_type {
	SCN_ARG_END = 0,
	SCN_ARG_LITERAL,	/* the word .name itself (use SCN_OPTIONAL) */
	SCN_ARG_WORD,		/* any word */
	SCN_ARG_KEYWORD,	/* one of .choices; value.index */
	SCN_ARG_DEF,		/* defines a new name in namespace .ns */
	SCN_ARG_REF,		/* a name defined earlier in namespace .ns */
	SCN_ARG_INT,		/* unsigned integer < 2^63 */
	SCN_ARG_SIZE,		/* byte count, at most the model's memory */
	SCN_ARG_LEN,		/* address-space length, at most SCN_MAX_LEN */
	SCN_ARG_ADDR,		/* region[+offset] or an absolute number; or,
				 * if .choices, one of those words instead:
				 * value.index 1 + its index (0: an address) */
	SCN_ARG_STRING,		/* "quoted string" */
	SCN_ARG_DATA,		/* "string" | pattern BYTE SIZE */
	SCN_ARG_ERRNO,		/* EFAULT (or a number); value.index = errno */
	SCN_ARG_ZONE,		/* Normal | Movable | CMA; value.index */
	SCN_ARG_COUNTER,	/* a vmstat counter name; value.index */
	SCN_ARG_CHANGE,		/* +N | -N | OP N  (counter expectations) */
	SCN_ARG_CMP,		/* OP N | N        (N alone means == N) */
	SCN_ARG_FLAGS,		/* any of .choices and key=value .options */
	SCN_ARG_VARIANT,	/* a member of family .family, then its args */
	SCN_ARG_COMMAND,	/* the rest of the line is another command */
};

#define SCN_OPTIONAL	0x1	/* may be absent (value.present false) */
#define SCN_REDEFINE	0x2	/* SCN_ARG_DEF: redefining a name is fine */

/* Comparison operators (value.op of SCN_ARG_CHANGE / SCN_ARG_CMP). */
enum scn_op { SCN_OP_EQ, SCN_OP_NE, SCN_OP_LT, SCN_OP_LE, SCN_OP_GT, SCN_OP_GE,
	      SCN_OP_DELTA };

struct scn_option {
	const char *key;		/* key of key=value */
	enum scn_arg_type type;		/* simple types only (no FLAGS etc.) */
	const char *const *choices;	/* SCN_ARG_KEYWORD */
	const char *ns;			/* SCN_ARG_DEF/REF: the namespace */
};

struct scn_arg {
	enum scn_arg_type type;
	const char *name;		/* shown in usage and errors */
	unsigned int flags;		/* SCN_OPTIONAL, SCN_REDEFINE */
	const char *ns;			/* DEF/REF: "process", "region", ... */
	const char *const *choices;	/* KEYWORD/FLAGS; NULL-terminated */
	const struct scn_option *options; /* FLAGS; terminated by .key NULL */
	const char *family;		/* VARIANT */
};

/* Namespaces the core resolves itself. */
#define SCN_NS_PROCESS	"process"
#define SCN_NS_REGION	"region"

/* --- parsed values ----------------------------------------------------------- */
struct scn_step;
struct scn_cmd;

struct scn_value {
	enum scn_arg_type type;
	struct scn_pos pos;		/* where the value starts */
	bool present;			/* false for an absent optional arg */
	const char *word;		/* words, names; ADDR: region or NULL */
	int index;			/* KEYWORD/ZONE/ERRNO/COUNTER; op */
	uint64_t num;			/* numbers; ADDR offset; FLAGS bits */
	int64_t delta;			/* SCN_ARG_CHANGE with SCN_OP_DELTA */
	const unsigned char *data;	/* STRING/DATA bytes (DATA: NULL if
					 * a pattern) */
	size_t len;			/* STRING/DATA length */
	int fill;			/* DATA pattern byte, or -1 */
	const struct scn_cmd *variant;	/* VARIANT: the member chosen */
	struct scn_step *inner;		/* COMMAND */
};

struct scn_step {
	const struct scn_cmd *cmd;
	struct scn_pos pos;		/* of the command's first word */
	const char *text;		/* source text, comment stripped */
	struct scn_value *args;
	unsigned int nargs;
};

struct scn_script {
	const char *name;		/* file name */
	struct scn_step **steps;
	unsigned int nsteps;
	unsigned int nlines;
	struct pnm_config cfg;		/* set by config commands at parse */
	bool pin_debug_set;		/* `memory debug=` given: the run keeps it */
	uint64_t mem_bytes;		/* total model memory in cfg */
	struct scn_arena *arena;	/* owns everything above */
};

/* --- commands -----------------------------------------------------------------
 * A command (family NULL) is a line of the language; a family member (family
 * "page-property", ...) is a keyword-introduced tail of a command whose last
 * argument is SCN_ARG_VARIANT of that family.  Its @test hook is called by
 * the owning command with a subject the owner defines.
 */
struct scn_parser;
struct scn_run;

#define SCN_EXPECT	0x1	/* an expectation: reported PASS/FAIL */
#define SCN_OBSERVE	0x2	/* only looks: keeps the counter window */
#define SCN_CONFIG	0x4	/* configures the model; before any step */
#define SCN_WRAPPER	0x8	/* args[1] is a COMMAND whose flags decide the
				 * step's status and counter window */

/* Handler results (besides 0 = done/held and -errno = operation failed). */
#define SCN_FAILED	1	/* did not hold / could not run; detail set */

struct scn_cmd {
	const char *name;		/* "mmap", "expect read"; member: "zone" */
	const char *family;		/* NULL for commands */
	const char *section;		/* help grouping ("memory", ...) */
	const struct scn_arg *args;	/* schema, SCN_ARG_END terminated */
	const char *help;		/* one line */
	const char *example;		/* a sample line, or NULL */
	unsigned int flags;		/* SCN_EXPECT | SCN_OBSERVE | SCN_CONFIG */
	/* Parse-time validation beyond the schema; 0 or scn_parse_error(). */
	int (*check)(struct scn_parser *p, const struct scn_step *st,
		     const struct scn_value *args);
	/* Execute: 0, -errno (the modelled call failed), or SCN_FAILED.
	 * SCN_CONFIG commands are applied by @check at parse time; their
	 * optional @run only sets the detail describing the settings. */
	int (*run)(struct scn_run *r, const struct scn_step *st,
		   const struct scn_value *args);
	/* Family members: evaluate against the owner's @subject. */
	int (*test)(struct scn_run *r, void *subject, const struct scn_value *args);
	/* The handler's own constant, for one handler serving several
	 * entries (which count a property reads); NULL if unused.  An io
	 * verb or property finds it with scn_io_member(subject)->data. */
	const void *data;
};

/*
 * Add @n commands or family members to the registry.  Called at program
 * start (SCN_REGISTER) before any parsing; not thread-safe.  A duplicate
 * name in the same family is a programming error and aborts.
 */
void scn_register(const struct scn_cmd *cmds, size_t n);
/* Record that a registration could not allocate (constructors do not
 * abort): every later parse fails with a message.  scn_test_fail_alloc()
 * is true for the allocation PINMM_SCN_FAIL_REGISTER=N names (tests). */
void scn_register_nomem(void);
bool scn_test_fail_alloc(void);
#define SCN_REGISTER(table)						\
	static void __attribute__((constructor)) scn_register_##table(void) \
	{ scn_register(table, ARRAY_SIZE(table)); }
/* The entry named @name in @family (NULL: commands), or NULL. */
const struct scn_cmd *scn_lookup(const char *family, const char *name);
/* Print the language reference (every command, its usage and help). */
void scn_print_reference(FILE *out);
/* Write "<name> <arg> [arg]..." for @cmd into @buf. */
void scn_format_usage(const struct scn_cmd *cmd, char *buf, size_t size);

/* --- parsing ------------------------------------------------------------------ */

/*
 * Parse @len bytes named @name.  Returns the script, or NULL with the first
 * error written to @err ("name:line:col: error: ...", then the source line
 * and a caret when printable).  Never reads outside the buffer; any bytes
 * are acceptable input.  Free with scn_script_free().
 */
struct scn_script *scn_parse_buffer(const char *name, const char *buf,
				    size_t len, char *err, size_t errlen);
/* Read and parse @path (as scn_parse_buffer; I/O errors are reported too). */
struct scn_script *scn_parse_file(const char *path, char *err, size_t errlen);
void scn_script_free(struct scn_script *s);

/* For check hooks: report an error at @pos; always returns -1. */
int scn_parse_error(struct scn_parser *p, const struct scn_pos *pos,
		    const char *fmt, ...) __printf(3, 4);
/* For check hooks of SCN_CONFIG commands: the configuration being built. */
struct scn_script *scn_parser_script(struct scn_parser *p);

/* Levenshtein distance, capped (used for "did you mean" hints). */
unsigned int scn_edit_distance(const char *a, const char *b);

/* --- running -------------------------------------------------------------------- */

/* SKIP: the step was not run, for the reason in the detail (the host
 * executor, host.c, cannot express it); counts neither passed nor failed. */
enum scn_status { SCN_ST_OK, SCN_ST_PASS, SCN_ST_FAIL, SCN_ST_SKIP };

/*
 * Why a step's SCN_ST_FAIL is not the scenario's own verdict: the model
 * itself broke (an invariant checker failed after the step, or frames were
 * still allocated once every process had exited), or the checkers could
 * not run for want of host memory.  SCN_BROKEN_NONE for every other
 * result, a failed expectation or a step's errno included -- whatever its
 * detail text says (a scenario may expect the string "frames leaked").
 */
enum scn_broken { SCN_BROKEN_NONE, SCN_BROKEN_INVARIANT, SCN_BROKEN_LEAK, SCN_BROKEN_HOST_ENOMEM };

struct scn_trace_line {
	struct pnm_trace_rec rec;
	char text[160];
};

/* One executed step, as given to the output sink. */
struct scn_result {
	const struct scn_step *step;	/* NULL: end-of-file teardown */
	const char *file;
	unsigned int line;
	const char *command;		/* step text or a description */
	enum scn_status status;
	enum scn_broken broken;		/* the model broke (see above) */
	const char *detail;		/* "" if none */
	const char *output;		/* extra lines (stats, maps) or "" */
	const char *data;		/* a JSON value (listings) or "" */
	const struct scn_trace_line *trace;
	unsigned int ntrace;
};

/* Where results go (human text, JSON, nothing); see scn_out.c. */
struct scn_sink {
	void (*begin_file)(struct scn_sink *s, const char *file);
	void (*step)(struct scn_sink *s, const struct scn_result *res);
	/* After teardown; @counters (pnm_stat_count() values) and @stat_text
	 * (pnm_stat_print() output) were taken before the model was freed;
	 * a host run (host.c) has no model: @counters is NULL then. */
	void (*end_file)(struct scn_sink *s, const char *file,
			 unsigned int passed, unsigned int failed,
			 const long *counters, const char *stat_text);
	void (*finish)(struct scn_sink *s, unsigned int passed, unsigned int failed);
	void *priv;
};

/* A command-line override of a configuration switch. */
enum scn_switch { SCN_SWITCH_DEFAULT, SCN_SWITCH_OFF, SCN_SWITCH_ON };

struct scn_run_opts {
	bool trace;			/* capture trace events per step */
	/* Misuse detection (pnm_config.pin_debug) for scripts that do not
	 * set `memory debug=` themselves (--pin-debug / --no-pin-debug). */
	enum scn_switch pin_debug;
	/* How often the invariant checkers run (--check-every N,
	 * --check-at-end): after every Nth step acting on the model and at the
	 * end; 0 (the default) or 1: after every step; SCN_CHECK_AT_END: only
	 * at the end. */
	unsigned long check_every;
};

#define SCN_CHECK_AT_END	(~0UL)

/*
 * Execute @script in a fresh model and report each step to @sink.  The
 * model must not be initialised on entry and is torn down on return.
 * Adds the number of passed/failed expectations to @passed and @failed.
 * Returns 0 if the model could be built and torn down, -errno if pnm_init
 * failed (reported as a FAIL step too), -ENOMEM if the invariant checkers
 * could not run for want of host memory (reported once as a FAIL step and
 * on stderr; the remaining steps are skipped).
 */
int scn_run_script(const struct scn_script *script, const struct scn_run_opts *opts,
		   struct scn_sink *sink, unsigned int *passed, unsigned int *failed);

/*
 * The model of a script run (scn_datadir.c): pnm_init() and pnm_fini(),
 * with the private data directory pnm_init() makes removed on every exit
 * path in between too (exit(), a fatal signal).  Return as those calls.
 */
int scn_model_init(const struct pnm_config *cfg);
int scn_model_fini(void);

/* Output sinks (scn_out.c).  Free with scn_sink_free(). */
struct scn_sink *scn_sink_human(FILE *out, bool quiet);
struct scn_sink *scn_sink_json(FILE *out);
/* Prints counters per file (pinmm stats); @json selects the format. */
struct scn_sink *scn_sink_stats(FILE *out, bool json);
void scn_sink_free(struct scn_sink *s);
/* The sinks flush their output at the end with scn_out_flush(), which
 * remembers the errno of the first flush that failed: scn_out_error()
 * returns it (0 if none), for main.c's message when the output could not
 * be written (stdio keeps only the fact of an error, not its errno). */
void scn_out_flush(FILE *f);
int scn_out_error(void);

/* --- helpers for command handlers (scn_run.c) ------------------------------------ */

/* The live task named by a SCN_NS_PROCESS value; NULL + detail if exited. */
struct task_struct *scn_task(struct scn_run *r, const struct scn_value *v);
/* The pid of the process a SCN_NS_PROCESS value names, exited or not;
 * -1 + detail if it was never created. */
int scn_task_pid(struct scn_run *r, const struct scn_value *v);
/* Register a task under @name (the runner exits it at teardown). */
int scn_task_add(struct scn_run *r, const char *name, struct task_struct *t);
/* Name of the task with @pid, or NULL. */
const char *scn_task_name(struct scn_run *r, int pid);
/* Call @fn for every process of the run (exited ones too), in creation
 * order, with its scenario name; @fn must not add processes. */
void scn_task_foreach(struct scn_run *r,
		      void (*fn)(const char *name, struct task_struct *t, void *arg), void *arg);
/* Resolve an SCN_ARG_ADDR value: 0, or SCN_FAILED with detail set. */
int scn_addr(struct scn_run *r, const struct scn_value *v, unsigned long *addr);
/* Record region @name = [addr, addr + len). */
int scn_region_set(struct scn_run *r, const char *name, unsigned long addr,
		   unsigned long len);

/* Set the step's detail text (shown in brackets after the step). */
void scn_detail(struct scn_run *r, const char *fmt, ...) __printf(2, 3);
/* For property tests: set the step's detail from @fmt and return 0 if
 * @holds, SCN_FAILED otherwise (scn_expect.c). */
int scn_prop_result(struct scn_run *r, bool holds, const char *fmt, ...) __printf(3, 4);
/* Set the detail and return SCN_FAILED. */
int scn_fail(struct scn_run *r, const char *fmt, ...) __printf(2, 3);
/* Append lines to the step's output block (stats, maps). */
void scn_output(struct scn_run *r, const char *fmt, ...) __printf(2, 3);
/*
 * Set the step's structured data: @json is one JSON value (an object, for
 * a listing), copied.  The human sink ignores it (the step shows its
 * output block instead); the JSON sink writes it as the step's "data".
 */
void scn_data(struct scn_run *r, const char *json);
/* Write @str to @f as a JSON string literal (invalid UTF-8 becomes
 * U+FFFD); scn_out.c. */
void scn_json_str(FILE *f, const char *str);
/* Quote up to @max bytes of @buf as a C-like string into @out. */
void scn_quote(char *out, size_t size, const unsigned char *buf, size_t len,
	       size_t max);

/*
 * Named objects with a release hook, for commands that create state
 * (holds, later pins and files).  Released in reverse creation order at
 * teardown, before the tasks exit.  scn_obj_add returns 0 or -ENOMEM.
 */
typedef void scn_release_fn(struct scn_run *r, void *obj);
int scn_obj_add(struct scn_run *r, const char *ns, const char *name, void *obj,
		scn_release_fn *release);
void *scn_obj_find(struct scn_run *r, const char *ns, const char *name);
/* Remove and release; returns false if not found. */
bool scn_obj_remove(struct scn_run *r, const char *ns, const char *name);

/*
 * Step hooks: @fn is called around every step that acts on the model (not
 * SCN_OBSERVE), exactly where the runner samples the vmstat counters for
 * the counter window: with @after false just before the step runs, with
 * @after true just after it.  A capability that keeps counts outside
 * vmstat (pin misuse reports per kind) keeps its own window this way, and
 * may add lines to the step's output (scn_output).  Register from a
 * constructor, like commands; not thread-safe.
 */
typedef void scn_step_hook_fn(struct scn_run *r, bool after);
void scn_register_step_hook(scn_step_hook_fn *fn);

/* Counter change made by the most recent step that is not SCN_OBSERVE. */
long scn_counter_delta(struct scn_run *r, int item);
/* Compare: does @have satisfy the CMP/CHANGE value @v (op, num/delta)? */
bool scn_compare(const struct scn_value *v, long have);
/* "== 3", "+1", ">= 9" for details. */
void scn_format_cmp(char *buf, size_t size, const struct scn_value *v);

/* Materialise DATA bytes [off, off + n) of @v into @buf. */
void scn_data_get(const struct scn_value *v, size_t off, void *buf, size_t n);
static inline size_t scn_data_len(const struct scn_value *v) { return v->len; }

/* What `show` hands to its "shown" family members to fill (scn_show.c). */
struct scn_shown {
	bool number;		/* a count: JSON gives it as a number */
	long num;		/* the count when @number */
	char text[600];		/* the value as shown */
};
/* Set @out to the text of @buf (up to its first NUL, quoted). */
void scn_shown_text(struct scn_shown *out, const unsigned char *buf, size_t len);
/* Set @out to the count @value. */
void scn_shown_number(struct scn_shown *out, long value);

/* What `expect page` hands to its "page-property" family members. */
struct scn_page_info {
	struct task_struct *task;
	unsigned long addr;
	bool present;			/* something is mapped at addr */
	unsigned long pfn;		/* valid if present */
	bool writable;			/* valid if present */
	struct pnm_page_info frame;	/* the frame's snapshot, if present */
};
/* Fill @pi for @t/@addr without faulting; 0 (present or not). */
int scn_page_info(struct task_struct *t, unsigned long addr, struct scn_page_info *pi);
/* Fill @pi as a present page from the snapshot of frame @pfn (a pinned
 * page, a cached page); @pi->writable is left false.  0, or -EINVAL. */
int scn_frame_info(unsigned long pfn, struct scn_page_info *pi);
/* The index of counter @name (pnm_stat_lookup), aborting the program if
 * the library has no such counter: the command line's own names. */
int scn_stat(const char *name);

/* --- names other capabilities share ---------------------------------------------- */

/* Files (scn_file.c): the open struct file a SCN_NS_FILE value names, or
 * NULL with the detail set (closed, or its open step failed). */
#define SCN_NS_FILE	"file"
struct file *scn_file(struct scn_run *r, const struct scn_value *v);
/* A file another capability opened (memfd_create, memfd_secret) becomes
 * the file @name, which the file commands then take; the run closes it
 * at the end.  0, or -ENOMEM (the caller still owns @file). */
int scn_file_add(struct scn_run *r, const char *name, struct file *file);

/*
 * Pin owners (scn_owner.c): a struct vaddr_pin under a name of the
 * SCN_NS_OWNER namespace.  The owner-* commands, `owners` and `expect
 * owner` work on every owner registered here, so a later call site's
 * commands (a memory registration, a fixed buffer) that create an owner
 * register it and need no commands of their own for pinning through it,
 * the device, the listing and the expectations.
 *   scn_owner_add: the owner @vp (created for @process's task @task,
 *   with f_owner @file, or NULL) becomes @name (a reference on @task is
 *   taken; @process names it in the scenario, e.g. after it exits);
 *   the runner releases its extents and destroys it at the end unless
 *   the call site forgot it first (scn_owner_forget).  0, or -EEXIST /
 *   -ENOMEM (then the caller still owns @vp).
 *   scn_owner: the owner a SCN_NS_OWNER value names, or NULL with the
 *   detail set (destroyed, or its creating step failed).
 *   scn_owner_forget: the call site that handed over owner @name destroys
 *   it itself (a deregistration): the runner forgets it, leaving the name
 *   to refer to nothing (as after owner-destroy, which a call site's
 *   owner refuses).  Call it before destroying the owner.
 */
#define SCN_NS_OWNER	"owner"
struct vaddr_pin;
int scn_owner_add(struct scn_run *r, const char *name, struct vaddr_pin *vp,
		  struct task_struct *task, const char *process, struct file *file);
struct vaddr_pin *scn_owner(struct scn_run *r, const struct scn_value *v);
void scn_owner_forget(struct scn_run *r, const char *name);


/*
 * Pins (scn_pin.c): make the @nr_req-entry result of a pin call another
 * capability made (memfd_pin_folios: @pages holds the folios' heads, one
 * pin each) the pin @name (a SCN_NS_PIN name, or "@line" for an unnamed
 * one), owned by no process and named @owner in notes, taken by the call
 * @what at @start: unpin, put, dma, expect pin and expect pinned then
 * work on it, and the runner releases what is left at the end.  @ret is
 * what the call returned (its first @ret entries are held).  0, -EEXIST,
 * -ENOMEM (the caller still owns the pins then).
 */
#define SCN_NS_PIN	"pin"
int scn_pin_adopt(struct scn_run *r, const char *name, const char *owner, const char *what,
		  unsigned long start, struct page **pages, unsigned long nr_req, long ret);

/* --- internals shared by scn_lex.c and scn_parse.c ------------------------------ */

/* A bump allocator owning a script's memory; freed as a whole. */
struct scn_arena;
struct scn_arena *scn_arena_new(void);
void scn_arena_free(struct scn_arena *a);
/* Zeroed, 16-byte aligned; exits the program on host out-of-memory. */
void *scn_arena_alloc(struct scn_arena *a, size_t n);
char *scn_arena_strndup(struct scn_arena *a, const char *s, size_t n);

enum scn_tok_kind {
	SCN_TK_EOL,		/* end of the line (or a comment) */
	SCN_TK_WORD,		/* [A-Za-z_][A-Za-z0-9_.-]* */
	SCN_TK_NUMBER,		/* 42, 0x2a, 4K, 2M; .num */
	SCN_TK_STRING,		/* "..." decoded into .str/.slen */
	SCN_TK_PLUS,		/* + */
	SCN_TK_MINUS,		/* - */
	SCN_TK_ASSIGN,		/* = */
	SCN_TK_OP,		/* == != < <= > >=; .op */
};

struct scn_token {
	enum scn_tok_kind kind;
	struct scn_pos pos;
	const char *text;		/* in the source buffer */
	size_t tlen;			/* source bytes of the token */
	uint64_t num;
	const unsigned char *str;	/* arena copy, NUL-terminated */
	size_t slen;
	enum scn_op op;
};

struct scn_lexer {
	const char *name;
	const char *buf;
	size_t len;
	size_t off;			/* start of the next line */
	unsigned int line;		/* number of the line last lexed */
	struct scn_arena *arena;
	char *err;			/* first error, formatted */
	size_t errlen;
	const char *line_text;		/* the line last lexed */
	size_t line_len;
};

/*
 * Check the whole buffer before any parsing: size, NUL bytes, UTF-8, control
 * characters, line lengths.  0, or -1 with the error in lx->err.
 */
int scn_lex_validate(struct scn_lexer *lx);
/*
 * Tokenise the next line into @toks (room for @max, which must be at least
 * SCN_MAX_LINE / 2 + 2).  Returns the number of tokens including the final
 * SCN_TK_EOL, 0 at end of input, or -1 with the error in lx->err.
 */
int scn_lex_line(struct scn_lexer *lx, struct scn_token *toks, unsigned int max);
/* Format "file:line:col: error: msg" (+ source line and caret if @line). */
void scn_format_error(char *err, size_t errlen, const struct scn_pos *pos,
		      const char *line, size_t line_len, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));
/* Length of the strict UTF-8 sequence at @s (<= @n bytes), 0 if invalid. */
size_t scn_utf8_seq(const unsigned char *s, size_t n);
/* Describe a token for "found ..." messages. */
void scn_describe_token(const struct scn_token *t, char *buf, size_t size);

#endif /* PINMM_SCN_H */
