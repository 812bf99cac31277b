#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_headers.sh - the public headers compile cleanly as an embedder
# includes them (ctest: abi.headers.<std>).
#
#   check_headers.sh LANG COMPILER STD INCLUDE_DIR WORK_DIR [LIB_DIR [LINK_FLAGS]]
#
#   LANG         c or c++
#   COMPILER     the C or C++ compiler; empty for c++ means "no C++
#                compiler was found": the check is skipped (exit 77)
#   STD          c11, gnu11, c++17 ... (passed as -std=STD)
#   INCLUDE_DIR  the public include/ directory: the only -I given
#   WORK_DIR     where the generated programs go (emptied first)
#   LIB_DIR      if given, one program using the API is also linked against
#                LIB_DIR/libpinmm.so and run: the declarations link (from
#                C++: through their extern "C")
#   LINK_FLAGS   extra flags for that link (the build's sanitizer flags)
#
# Generated translation units, each compiled with
# -std=STD -Wall -Wextra -Werror -pedantic (plus -Wshadow -Wundef, and
# -Wstrict-prototypes in C):
#   self.<h>         each public header alone, included twice (it is
#                    self-contained and guarded)
#   pair.<s>.<order> <pinmm/pinmm.h> with one system header, pinmm first
#                    and system header first
#   all.<h>.<order>  each public header with all the system headers,
#                    in both orders
# The system headers: <stdatomic.h> (C) or <atomic> (C++), <sys/user.h>,
# <sys/mman.h>, <pthread.h>, <liburing.h>.  Every program also uses the
# API it includes (types, macros, the call-site macros), so the
# declarations are checked, not just parsed.
#
# One exception, not the headers' doing: in strict ISO mode (-std=c11)
# <liburing.h> needs POSIX's sigset_t, which glibc hides once any other
# header has been included without a feature macro; programs that include
# it get -D_POSIX_C_SOURCE=200809L in that mode, as any strict-C user of
# liburing must.
set -euo pipefail

if [ $# -lt 5 ]; then
	echo "usage: $0 c|c++ COMPILER STD INCLUDE_DIR WORK_DIR [LIB_DIR [LINK_FLAGS]]" >&2
	exit 2
fi
lang=$1 cc=$2 std=$3 incdir=$4 work=$5 libdir=${6:-} linkflags=${7:-}

if [ -z "$cc" ]; then
	if [ "$lang" = c++ ]; then
		echo "SKIP: no C++ compiler was found at configure time (check_language(CXX));"
		echo "      the C++ half of the header check did not run."
		exit 77
	fi
	echo "no C compiler given" >&2
	exit 2
fi
# Nothing but include/ on the include path.
unset CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH OBJC_INCLUDE_PATH

rm -rf "$work"
mkdir -p "$work"

flags=(-std="$std" -Wall -Wextra -Werror -pedantic -Wshadow -Wundef -I"$incdir")
if [ "$lang" = c ]; then
	ext=c
	flags+=(-Wstrict-prototypes -x c)
	atomic_h=stdatomic.h
else
	ext=cc
	flags+=(-x c++)
	atomic_h=atomic
fi
strict=false
case "$std" in c[0-9]*) strict=true ;; esac
sys_headers=("$atomic_h" sys/user.h sys/mman.h pthread.h liburing.h)

mapfile -t pub_headers < <(cd "$incdir" && ls pinmm/*.h)
if [ ${#pub_headers[@]} -eq 0 ]; then
	echo "no public headers under $incdir/pinmm" >&2
	exit 2
fi

# What a program does with the headers it includes: use something of each,
# so that a declaration that does not compile in this language fails.
use_of() {
	case "$1" in
	pinmm/types.h)
		echo '	void *p = pnm_err_ptr(-12);'
		echo '	struct page *pg = NULL; struct folio *fo = NULL;'
		echo '	enum pnm_zone_type z = PNM_ZONE_MOVABLE; enum pnm_thp_mode t = PNM_THP_ALWAYS;'
		echo '	(void)pg; (void)fo;'
		echo '	n += (int)(PNM_HPAGE_PMD_SIZE / PNM_PAGE_SIZE) + pnm_is_err(p) + (int)pnm_ptr_err(p) + (int)z + (int)t;' ;;
	pinmm/task.h)
		echo '	int (*create)(const char *, struct task_struct **) = pnm_task_create;'
		echo '	struct mm_struct *(*tm)(struct task_struct *) = get_task_mm;'
		echo '	n += (create != NULL) + (tm != NULL);' ;;
	pinmm/mman.h)
		echo '	static struct pnm_compact_result cr;'
		echo '	long (*mm)(struct task_struct *, unsigned long, unsigned long, unsigned long,'
		echo '		   unsigned long, struct file *, unsigned long) = pnm_mmap;'
		echo '	n += (int)cr.migrated + (mm != NULL) + (int)(PNM_VM_IO | PNM_VM_PFNMAP);'
		echo '	long (*mr)(struct task_struct *, unsigned long, unsigned long, unsigned long,'
		echo '		   unsigned long, unsigned long) = pnm_mremap;'
		echo '	n += (mr != NULL) + (int)(PNM_MREMAP_MAYMOVE | PNM_MREMAP_FIXED | PNM_MREMAP_DONTUNMAP);' ;;
	pinmm/file.h)
		echo '	enum pnm_fs_type fs = PNM_FS_SHMEM;'
		echo '	ssize_t (*rd)(struct file *, void *, size_t, int64_t) = pnm_file_read;'
		echo '	ssize_t (*dio_begin)(struct file *, unsigned int, int64_t, size_t) = pnm_file_dio_begin;'
		echo '	n += (int)fs + (rd != NULL) + PNM_FS_NAME_MAX + (PNM_MAX_FILE_SIZE > 0) + PNM_IO_WRITE;'
		echo '	n += (dio_begin != NULL) + PNM_DIO_ALIGN;' ;;
	pinmm/gup.h)
		echo '	struct page *pages[1] = { NULL };'
		echo '	static struct pnm_pin_record rec;'
		echo '	int (*fast)(unsigned long, int, unsigned int, struct page **) = pin_user_pages_fast;'
		echo '	long (*mpf)(struct file *, int64_t, int64_t, struct folio **, unsigned int,'
		echo '		    unsigned long *) = memfd_pin_folios;'
		echo '	n += (mpf != NULL);'
		echo '	enum pnm_misuse_kind k = PNM_MISUSE_OVER_UNPIN;'
		echo '	if (n < 0) {	/* never runs: the call-site macros compile */'
		echo '		n += pin_user_pages_fast(0, 1, FOLL_WRITE | FOLL_LONGTERM, pages);'
		echo '		unpin_user_pages_dirty_lock(pages, 1, true);'
		echo '		n += (int)(pin_user_pages_fast)(0, 1, FOLL_WRITE, pages);'
		echo '	}'
		echo '	n += (fast != NULL) + (int)rec.line + (int)k + (int)FOLL_PIN;' ;;
	pinmm/dma.h)
		echo '	int (*wr)(struct page **, unsigned long, size_t, const void *, size_t) = pnm_dma_write;'
		echo '	n += (wr != NULL);' ;;
	pinmm/stat.h)
		echo '	static struct pnm_trace_rec tr;'
		echo '	pnm_trace_fn *fn = NULL;'
		echo '	n += (int)tr.ev + (fn != NULL) + PNM_NR_TRACE_EVENTS;' ;;
	pinmm/pinmm.h)
		echo '	struct pnm_config cfg;'
		echo '	enum pnm_log_level lv = PNM_LOG_WARN;'
		echo '	pnm_log_fn *log_hook = NULL;'
		echo '	if (n < 0) {	/* never runs */'
		echo '		pnm_config_default(&cfg);'
		echo '		n += pnm_init(&cfg);'
		echo '	}'
		echo '	n += (int)lv + (log_hook != NULL) + PINMM_VERSION_MAJOR + (int)sizeof(PINMM_VERSION);'
		echo '	int (*chk_reg)(pnm_check_fn *, void *) = pnm_check_register;'
		echo '	n += (chk_reg != NULL);' ;;
	pinmm/vaddr_pin.h)
		echo '	static struct vaddr_pin_params vp_params;'
		echo '	static struct pnm_vaddr_pin_info vp_info;'
		echo '	long (*vp_pin)(struct vaddr_pin *, unsigned long, unsigned long, struct page **) ='
		echo '		vaddr_pin_user_pages;'
		echo '	static struct pnm_vaddr_pin_extent vp_ext;'
		echo '	static struct pnm_layout_lease_info vp_lease;'
		echo '	int (*vp_next)(struct vaddr_pin *, unsigned long, struct pnm_vaddr_pin_extent *) ='
		echo '		pnm_vaddr_pin_extent_next;'
		echo '	int (*vp_lq)(struct file *, struct pnm_layout_lease_info *) = pnm_file_get_layout_lease;'
		echo '	n += (vp_pin != NULL) + (int)vp_params.size + (int)vp_info.size + (int)VADDR_PIN_LONGTERM;'
		echo '	n += (vp_next != NULL) + (vp_lq != NULL) + (int)vp_ext.size + (int)vp_lease.size +'
		echo '	     (int)PNM_VADDR_PIN_EXTENT_QUARANTINED + (int)(pnm_vaddr_pin_clock() > 0);'
		echo '	long (*vp_co)(struct vaddr_pin *, unsigned long) = vaddr_pin_coalesce;'
		echo '	n += (vp_co != NULL) + (int)PNM_VADDR_PIN_EXTENT_COALESCED;' ;;
	pinmm/rdma.h)
		echo '	static struct pnm_ib_mr_attr ib_attr;'
		echo '	static struct pnm_ib_wc ib_wc;'
		echo '	int (*ib_reg)(struct pnm_ib_pd *, const struct pnm_ib_mr_attr *, struct pnm_ib_mr **) ='
		echo '		pnm_ib_reg_mr;'
		echo '	int (*ib_wr)(struct pnm_ib_device *, uint32_t, uint64_t, const void *, size_t) ='
		echo '		pnm_ib_remote_write;'
		echo '	n += (ib_reg != NULL) + (ib_wr != NULL) + (int)ib_attr.size + ib_wc.status +'
		echo '	     (int)(PNM_IB_ACCESS_REMOTE_WRITE | PNM_IB_MR_IGNORE_BREAK) + (int)PNM_IB_MR_REVOKED;' ;;
	pinmm/io_uring.h)
		echo '	static struct pnm_io_buf_info io_bi;'
		echo '	struct iovec io_iov = { NULL, 0 };'
		echo '	int (*io_reg)(struct pnm_io_ring *, const struct iovec *, unsigned int) ='
		echo '		pnm_io_ring_register_buffers;'
		echo '	ssize_t (*io_rd)(struct pnm_io_ring *, struct file *, unsigned int, unsigned long,'
		echo '			 size_t, int64_t) = pnm_io_ring_read_fixed;'
		echo '	n += (io_reg != NULL) + (io_rd != NULL) + (int)io_bi.size + (int)io_iov.iov_len +'
		echo '	     (int)(PNM_IORING_MAX_REG_BUFFERS > 0) + (PNM_IORING_MAX_BUF_SIZE > 0);' ;;
	pinmm/hugetlb.h)
		echo '	static struct pnm_hugetlb_info ht_info;'
		echo '	long (*ht_set)(unsigned long, unsigned long) = pnm_hugetlb_set_pages;'
		echo '	int (*ht_file)(const char *, int64_t, unsigned long, struct file **) ='
		echo '		pnm_hugetlb_file_create;'
		echo '	n += (ht_set != NULL) + (ht_file != NULL) + (int)ht_info.size +'
		echo '	     (PNM_HUGETLB_1G / PNM_HUGETLB_2M == 512) +'
		echo '	     (int)(PNM_MAP_HUGETLB | PNM_MAP_HUGE_2MB | PNM_MAP_HUGE_1GB);' ;;
	pinmm/thp.h)
		echo '	int (*thp_set)(unsigned long, enum pnm_thp_mode) = pnm_thp_set_enabled;'
		echo '	long (*thp_scan)(struct task_struct *, unsigned long) = pnm_khugepaged_scan;'
		echo '	long (*thp_ds)(unsigned long) = pnm_thp_deferred_split_scan;'
		echo '	n += (thp_set != NULL) + (thp_scan != NULL) + (thp_ds != NULL) +'
		echo '	     PNM_MADV_COLLAPSE + PNM_THP_MIN_ORDER + (int)PNM_THP_INHERIT;'
		echo '	int (*thp_get)(unsigned long) = pnm_thp_get_enabled;'
		echo '	n += (thp_get != NULL);' ;;
	pinmm/budget.h)
		echo '	static struct pnm_pin_budget_info pb_info;'
		echo '	int (*pb_rem)(struct task_struct *, unsigned long *) = pnm_pin_budget_remaining;'
		echo '	n += (pb_rem != NULL) + (int)pb_info.size + (PNM_PIN_BUDGET_UNLIMITED != 0);' ;;
	pinmm/resource.h)
		echo '	struct pnm_rlimit rl = { PNM_RLIM_INFINITY, PNM_RLIM_INFINITY };'
		echo '	int (*rl_set)(struct task_struct *, int, const struct pnm_rlimit *,'
		echo '		      struct pnm_rlimit *) = pnm_prlimit;'
		echo '	int (*cap_set)(struct task_struct *, int, bool) = pnm_task_set_capability;'
		echo '	n += (rl_set != NULL) + (cap_set != NULL) + (rl.rlim_cur != 0) +'
		echo '	     PNM_RLIMIT_MEMLOCK + PNM_CAP_IPC_LOCK + PNM_CAP_SYS_RESOURCE;' ;;
	pinmm/memfd.h)
		echo '	int (*mfd)(const char *, unsigned int, struct file **) = pnm_memfd_create;'
		echo '	int (*fcntl_fn)(struct file *, int, unsigned long) = pnm_file_fcntl;'
		echo '	int (*sec)(unsigned int, struct file **) = pnm_memfd_secret;'
		echo '	n += (mfd != NULL) + (fcntl_fn != NULL) + (sec != NULL) + PNM_MFD_NAME_MAX +'
		echo '	     (int)(PNM_MFD_CLOEXEC | PNM_MFD_ALLOW_SEALING | PNM_F_SEAL_WRITE) +'
		echo '	     PNM_F_ADD_SEALS + PNM_F_GET_SEALS + PNM_FD_CLOEXEC;' ;;
	pinmm/sysctl.h)
		echo '	int (*sc_wr)(const char *, const char *) = pnm_sysctl_write;'
		echo '	const char *(*sc_name)(int) = pnm_sysctl_name;'
		echo '	n += (sc_wr != NULL) + (sc_name != NULL);' ;;
	pinmm/dio.h)
		echo '	static struct pnm_dio_info dio_info;'
		echo '	int (*dio_sub)(struct pnm_dio_dev *, struct file *, unsigned int, unsigned long,'
		echo '		       size_t, int64_t, struct pnm_dio_req **) = pnm_dio_submit;'
		echo '	ssize_t (*dio_wait)(struct pnm_dio_req *) = pnm_dio_wait;'
		echo '	n += (dio_sub != NULL) + (dio_wait != NULL) + (int)dio_info.size +'
		echo '	     PNM_DIO_READ + PNM_DIO_WRITE + PNM_DIO_MAX_THREADS;' ;;
	pinmm/process_vm.h)
		echo '	static struct pnm_iovec pvm_iov;'
		echo '	ssize_t (*pvm_rd)(int, const struct pnm_iovec *, unsigned long,'
		echo '			  const struct pnm_iovec *, unsigned long, unsigned long) ='
		echo '		pnm_process_vm_readv;'
		echo '	n += (pvm_rd != NULL) + (int)pvm_iov.iov_len + PNM_IOV_MAX;' ;;
	pinmm/inspect.h)
		echo '	static struct pnm_page_info pi;'
		echo '	static struct pnm_zone_info zi;'
		echo '	int (*zq)(enum pnm_zone_type, struct pnm_zone_info *) = pnm_get_zone_info;'
		echo '	int (*pq)(unsigned long, struct pnm_page_info *) = pnm_pfn_info;'
		echo '	n += (zq != NULL) + (pq != NULL) + (int)pi.size + (int)zi.size;'
		echo '	static struct pnm_smaps_info sm;'
		echo '	int (*smq)(struct task_struct *, unsigned long, struct pnm_smaps_info *) = pnm_task_smaps;'
		echo '	int (*pmq)(struct task_struct *, unsigned long, uint64_t *, unsigned long) = pnm_task_pagemap;'
		echo '	int (*crq)(struct task_struct *, enum pnm_clear_refs) = pnm_task_clear_refs;'
		echo '	n += (smq != NULL) + (pmq != NULL) + (crq != NULL) + (int)sm.size +'
		echo '	     (pnm_smaps_field_name(0, NULL, NULL) != NULL) + (int)(PNM_PM_PRESENT >> 63) +'
		echo '	     PNM_CLEAR_REFS_SOFT_DIRTY;' ;;
	pinmm/mmu_notifier.h)
		echo '	static struct mmu_notifier mn;'
		echo '	static struct mmu_notifier_ops mn_ops;'
		echo '	struct mmu_notifier_range mn_range = { NULL, 0, 0, MMU_NOTIFIER_RANGE_BLOCKABLE,'
		echo '					       MMU_NOTIFY_CLEAR };'
		echo '	int (*mn_reg)(struct mmu_notifier *, struct mm_struct *) = mmu_notifier_register;'
		echo '	mn.ops = &mn_ops;'
		echo '	n += (mn_reg != NULL) + (int)mn_range.event + (int)mn_range.flags +'
		echo '	     (int)pnm_mmu_notifier_count(NULL) + (mn.ops->release != NULL);' ;;
	pinmm/kvm.h)
		echo '	static struct pnm_kvm_info kvm_info;'
		echo '	int (*kvm_map)(struct pnm_kvm *, unsigned long, bool) = pnm_kvm_map_gfn;'
		echo '	n += (kvm_map != NULL) + (int)kvm_info.size + PNM_KVM_MAX_MEMSLOTS +'
		echo '	     (int)PNM_KVM_MEM_READONLY + (PNM_KVM_MAX_SLOT_PAGES > 0);' ;;
	pinmm/pipe.h)
		echo '	static struct pnm_pipe_info pipe_info;'
		echo '	ssize_t (*vms)(struct task_struct *, struct pnm_pipe *, unsigned long, size_t,'
		echo '		       unsigned int) = pnm_vmsplice;'
		echo '	n += (vms != NULL) + (int)pipe_info.size + PNM_PIPE_BUFFERS +'
		echo '	     (int)(PNM_SPLICE_F_NONBLOCK | PNM_SPLICE_F_GIFT);' ;;
	pinmm/futex.h)
		echo '	struct pnm_futex_key fk = { PNM_FUTEX_KEY_SHARED, 0, 0 };'
		echo '	n += (int)fk.type + (int)(PNM_FUTEX_PRIVATE | PNM_FUTEX_READ) +'
		echo '	     pnm_futex_key_equal(&fk, &fk);' ;;
	pinmm/kwrite.h)
		echo '	int (*kw)(struct task_struct *, unsigned long, const void *, size_t, unsigned int) ='
		echo '		pnm_kwrite;'
		echo '	n += (kw != NULL) + PNM_KWRITE_MAX_PAGES + (int)(PNM_KWRITE_GET | PNM_KWRITE_NODIRTY);' ;;
	pinmm/swap.h)
		echo '	static struct pnm_swap_info sw_info;'
		echo '	static struct pnm_swap_entry_info sw_entry;'
		echo '	int (*sw_on)(const char *, unsigned long) = pnm_swapon;'
		echo '	int (*sw_ent)(struct task_struct *, unsigned long, struct pnm_swap_entry_info *) ='
		echo '		pnm_task_swap_entry;'
		echo '	n += (sw_on != NULL) + (sw_ent != NULL) + (int)sw_info.size + (int)sw_entry.size +'
		echo '	     (PNM_SWAP_MAX_SLOTS > 0);' ;;
	pinmm/fault.h)
		echo '	static struct pnm_fault_stats fault_st;'
		echo '	int (*fault_nth)(enum pnm_fault_kind, unsigned long) = pnm_fault_fail_nth;'
		echo '	n += (fault_nth != NULL) + (int)fault_st.calls + (int)PNM_FAULT_NR_KINDS +'
		echo '	     (pnm_fault_kind_name(PNM_FAULT_VMA) != NULL);' ;;
	*)
		# A header without a use here is a test that cannot fail for it.
		echo "check_headers.sh: no use written for $1" >&2
		exit 2 ;;
	esac
}

# gen FILE INCLUDE... : write a program including the INCLUDEs in order,
# with one block using each public header they name (the umbrella names
# them all).
gen() {
	local out=$1 inc h hs
	local -A seen=()
	shift
	{
		for inc in "$@"; do echo "#include <$inc>"; done
		echo
		echo 'static int use(int n)'
		echo '{'
		for inc in "$@"; do
			case "$inc" in
			pinmm/pinmm.h) hs=("${pub_headers[@]}") ;;
			pinmm/*) hs=("$inc") ;;
			*) continue ;;
			esac
			for h in "${hs[@]}"; do
				[ -n "${seen[$h]:-}" ] && continue
				seen[$h]=1
				echo '	{'
				use_of "$h" | sed 's/^/\t/'
				echo '	}'
			done
		done
		echo '	return n;'
		echo '}'
		echo
		echo 'int main(void)'
		echo '{'
		echo '	return use(0) == -1;'
		echo '}'
	} >"$out"
}

failed=0
total=0
compile() {
	local src=$1 extra=()

	total=$((total + 1))
	if $strict && grep -q '^#include <liburing.h>' "$src"; then
		extra=(-D_POSIX_C_SOURCE=200809L)
	fi
	if ! "$cc" "${flags[@]}" "${extra[@]}" -c "$src" -o "${src%.*}.o" 2>"${src%.*}.log"; then
		echo "FAIL: $(basename "$src") ($lang, -std=$std):"
		sed 's/^/    /' "$src"
		echo "  compiler said:"
		head -n 40 "${src%.*}.log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

# Each public header alone, twice (guards), then with the system headers.
for h in "${pub_headers[@]}"; do
	b=$(basename "$h" .h)
	gen "$work/self.$b.$ext" "$h" "$h"
	compile "$work/self.$b.$ext"
	gen "$work/all.$b.pinmm_first.$ext" "$h" "${sys_headers[@]}"
	compile "$work/all.$b.pinmm_first.$ext"
	gen "$work/all.$b.system_first.$ext" "${sys_headers[@]}" "$h"
	compile "$work/all.$b.system_first.$ext"
done
# The umbrella with each system header alone, in both orders.
for s in "${sys_headers[@]}"; do
	b=$(echo "$s" | tr '/.' '__')
	gen "$work/pair.$b.pinmm_first.$ext" pinmm/pinmm.h "$s"
	compile "$work/pair.$b.pinmm_first.$ext"
	gen "$work/pair.$b.system_first.$ext" "$s" pinmm/pinmm.h
	compile "$work/pair.$b.system_first.$ext"
done

# Link and run: the declarations name the library's symbols (C linkage).
if [ -n "$libdir" ]; then
	total=$((total + 1))
	prog="$work/link.$ext"
	{
		echo '#include <pinmm/pinmm.h>'
		echo '#include <stdio.h>'
		echo 'int main(void)'
		echo '{'
		echo '	struct pnm_config cfg;'
		echo '	int (*fast)(unsigned long, int, unsigned int, struct page **) = pin_user_pages_fast;'
		echo '	void (*unpin)(struct page **, unsigned long) = unpin_user_pages;'
		echo '	struct task_struct *t = NULL;'
		echo '	int ret;'
		echo '	pnm_config_default(&cfg);'
		echo '	ret = pnm_init(&cfg);'
		echo '	if (ret) { fprintf(stderr, "pnm_init: %s\n", pnm_strerror(ret)); return 1; }'
		echo '	ret = pnm_task_create("link", &t);'
		echo '	if (ret) { fprintf(stderr, "pnm_task_create: %s\n", pnm_strerror(ret)); return 1; }'
		echo '	pnm_task_exit(t);'
		echo '	pnm_task_put(t);'
		echo '	if (!fast || !unpin || !pnm_check_system()) return 1;'
		echo '	return pnm_fini() != 0;'
		echo '}'
	} >"$prog"
	# shellcheck disable=SC2086 # LINK_FLAGS is a list of flags
	if ! "$cc" "${flags[@]}" "$prog" -o "$work/link" -L"$libdir" -Wl,-rpath,"$libdir" \
		-lpinmm $linkflags 2>"$work/link.log"; then
		echo "FAIL: link.$ext does not link against $libdir/libpinmm.so ($lang):"
		sed 's/^/    /' "$work/link.log"
		failed=$((failed + 1))
	elif ! "$work/link" >"$work/link.out" 2>&1; then
		echo "FAIL: link.$ext linked but did not run cleanly ($lang):"
		sed 's/^/    /' "$work/link.out"
		failed=$((failed + 1))
	fi
fi

if [ "$failed" -ne 0 ]; then
	echo "$failed of $total header programs failed ($lang, -std=$std)"
	exit 1
fi
echo "ok: $total header programs ($lang, -std=$std, ${#pub_headers[@]} public headers," \
     "${#sys_headers[@]} system headers)"
