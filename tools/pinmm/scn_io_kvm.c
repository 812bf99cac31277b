// SPDX-License-Identifier: MIT
/*
 * scn_io_kvm.c - the scenario glue of the secondary MMU user (pinmm/kvm.h):
 * the `kvm` site of the io family (scn_io.h).
 *
 *   io kvm create PROCESS [as VM]          a VM over the process (MMU notifier)
 *   io kvm memslot VM SLOT GFN PAGES ADDRESS [readonly]
 *   io kvm fault VM GFN [write]            the guest's fault on a frame
 *   io kvm write VM GPA DATA               the guest's store (faults as needed)
 *   io kvm read VM GPA SIZE                the guest's load, shown
 *   io kvm destroy VM
 *   expect io kvm mapped|writable|invalidations|zapped|retries VM CMP
 *   expect io kvm entry VM GFN [not] present|writable
 *   expect io kvm frame VM GFN PROCESS ADDRESS   the entry maps the frame
 *                                          the process maps there
 *   expect io kvm reads VM GPA DATA
 *   expect io kvm released VM
 *
 * A VM without a name is "vm".  Every VM's checker (pnm_kvm_check: the
 * shadow agrees with the process's page tables) is registered with
 * pnm_check_register() (scn_io_keep_checked()), so it runs after every
 * step; VMs left at the end are destroyed.
 */
#include <stdlib.h>
#include <string.h>
#include "scn_io.h"

#define NS_KVM		"kvm-vm"

/* A VM's checker and destructor, as scn_io_keep_checked() calls them. */
static int kvm_check(void *obj, char *why, size_t size)
{
	return pnm_kvm_check(obj, why, size);
}

static void kvm_destroy_obj(void *obj)
{
	pnm_kvm_destroy(obj);
}

static struct pnm_kvm *kvm_get(struct scn_run *r, const struct scn_value *v)
{
	struct pnm_kvm *kvm = scn_io_find_checked(r, NS_KVM, v->word);

	if (!kvm)
		scn_fail(r, "VM %s does not exist (destroyed, or its creation failed)", v->word);
	return kvm;
}

static struct pnm_kvm_info kvm_info(struct pnm_kvm *kvm)
{
	struct pnm_kvm_info ki = { .size = sizeof(ki) };

	pnm_kvm_get_info(kvm, &ki);
	return ki;
}

/* io kvm create: a[0] process, a[1] "as", a[2] name. */
static int kvm_create(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct task_struct *t = scn_task(r, &a[0]);
	const char *name = a[2].present ? a[2].word : "vm";
	struct pnm_kvm *kvm;
	int err;

	if (!t)
		return SCN_FAILED;
	if (scn_obj_find(r, NS_KVM, name))
		return scn_fail(r, "VM %s exists", name);
	err = pnm_kvm_create(t, &kvm);
	if (err)
		return err;
	if (scn_io_keep_checked(r, NS_KVM, name, kvm, "VM", kvm_check, kvm_destroy_obj))
		return scn_fail(r, "out of memory");
	scn_detail(r, "%s over %s's address space (an MMU notifier registered)", name, a[0].word);
	return 0;
}

static const char *const memslot_words[] = { "readonly", NULL };

/* io kvm memslot: a[0] VM, a[1] slot, a[2] gfn, a[3] pages, a[4] address, a[5] flags. */
static int kvm_memslot(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	unsigned long hva;
	int err;

	if (!kvm || scn_addr(r, &a[4], &hva))
		return SCN_FAILED;
	err = pnm_kvm_set_memslot(kvm, (unsigned int)a[1].num, a[2].num, a[3].num, hva,
				  (a[5].num & 1) ? PNM_KVM_MEM_READONLY : 0);
	if (!err)
		scn_detail(r, "gfn %#lx-%#lx -> %#lx", (unsigned long)a[2].num,
			   (unsigned long)(a[2].num + a[3].num), hva);
	return err;
}

static const char *const fault_words[] = { "write", NULL };

static int kvm_fault(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	unsigned long pfn;
	bool w;
	int err;

	if (!kvm)
		return SCN_FAILED;
	err = pnm_kvm_map_gfn(kvm, a[1].num, a[2].num & 1);
	if (!err && !pnm_kvm_lookup(kvm, a[1].num, &pfn, &w))
		scn_detail(r, "gfn %#lx -> pfn %#lx %s", (unsigned long)a[1].num, pfn,
			   w ? "writable" : "read-only");
	return err;
}

static int kvm_write(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	char *buf;
	int err;

	if (!kvm)
		return SCN_FAILED;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	scn_data_get(&a[2], 0, buf, len);
	err = pnm_kvm_guest_write(kvm, a[1].num, buf, len);
	free(buf);
	return err;
}

static int kvm_read(struct scn_run *r, void *subject, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	size_t len = (size_t)a[2].num;
	unsigned char *buf;
	char shown[160];
	int err;

	if (!kvm)
		return SCN_FAILED;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	err = pnm_kvm_guest_read(kvm, a[1].num, buf, len);
	if (!err) {
		scn_quote(shown, sizeof(shown), buf, len, 64);
		scn_detail(r, "%s", shown);
	}
	free(buf);
	return err;
}

static int kvm_destroy(struct scn_run *r, void *subject, const struct scn_value *a)
{
	if (!scn_obj_remove(r, NS_KVM, a[0].word))
		return scn_fail(r, "VM %s does not exist", a[0].word);
	return 0;
}

/* --- properties ---------------------------------------------------------------- */

/* The count properties of a VM; each entry is its property's .data. */
enum { KC_MAPPED, KC_WRITABLE, KC_INVALIDATIONS, KC_ZAPPED, KC_RETRIES };
static const struct kvm_count {
	int which;
	const char *what;
} kvm_counts[] = {
	{ KC_MAPPED, "shadow entries" },
	{ KC_WRITABLE, "writable shadow entries" },
	{ KC_INVALIDATIONS, "invalidations received" },
	{ KC_ZAPPED, "entries dropped by invalidations" },
	{ KC_RETRIES, "faults retried" },
};

/* VM CMP: the property's count (its .data) of VM @a[0] compared with @a[1]. */
static int prop_count(struct scn_run *r, void *subject, const struct scn_value *a)
{
	const struct kvm_count *c = scn_io_member(subject)->data;
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	struct pnm_kvm_info ki;
	unsigned long have;
	char want[48];

	if (!kvm)
		return SCN_FAILED;
	ki = kvm_info(kvm);
	switch (c->which) {
	case KC_MAPPED: have = ki.mapped; break;
	case KC_WRITABLE: have = ki.writable; break;
	case KC_INVALIDATIONS: have = ki.invalidations; break;
	case KC_ZAPPED: have = ki.zapped; break;
	default: have = ki.retries; break;
	}
	scn_format_cmp(want, sizeof(want), &a[1]);
	return scn_prop_result(r, scn_compare(&a[1], (long)have), "%lu %s (expected %s)", have,
			       c->what, want);
}

static const char *const entry_words[] = { "present", "writable", NULL };

/* expect io kvm entry VM GFN [not] present|writable: a[0] VM, a[1] gfn,
 * a[2] "not", a[3] keyword. */
static int prop_entry(struct scn_run *r, void *s, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	bool neg = a[2].present, w = false, holds;
	unsigned long pfn = 0;
	int err;

	if (!kvm)
		return SCN_FAILED;
	err = pnm_kvm_lookup(kvm, a[1].num, &pfn, &w);
	holds = !err && (a[3].index == 0 || w);
	if (err)
		return scn_prop_result(r, neg, "gfn %#lx: no shadow entry", (unsigned long)a[1].num);
	return scn_prop_result(r, holds != neg, "gfn %#lx -> pfn %#lx %s", (unsigned long)a[1].num,
			       pfn, w ? "writable" : "read-only");
}

/* expect io kvm frame VM GFN PROCESS ADDRESS. */
static int prop_frame(struct scn_run *r, void *s, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	struct task_struct *t = scn_task(r, &a[2]);
	unsigned long pfn, ppfn, addr;
	int err;

	if (!kvm || !t || scn_addr(r, &a[3], &addr))
		return SCN_FAILED;
	if (pnm_kvm_lookup(kvm, a[1].num, &pfn, NULL))
		return scn_fail(r, "gfn %#lx: no shadow entry", (unsigned long)a[1].num);
	err = pnm_translate(t, addr, &ppfn, NULL);
	if (err)
		return scn_fail(r, "gfn %#lx -> pfn %#lx; %s maps nothing at %#lx",
				(unsigned long)a[1].num, pfn, a[2].word, addr);
	return scn_prop_result(r, pfn == ppfn, "gfn %#lx -> pfn %#lx; %s maps pfn %#lx there",
			       (unsigned long)a[1].num, pfn, a[2].word, ppfn);
}

static int prop_reads(struct scn_run *r, void *s, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);
	size_t len = scn_data_len(&a[2]);
	unsigned char *want, *got;
	char shown[160];
	int err, ret;

	if (!kvm)
		return SCN_FAILED;
	want = malloc(len ? len : 1);
	got = malloc(len ? len : 1);
	if (!want || !got) {
		free(want);
		free(got);
		return -ENOMEM;
	}
	scn_data_get(&a[2], 0, want, len);
	err = pnm_kvm_guest_read(kvm, a[1].num, got, len);
	if (err) {
		ret = scn_fail(r, "the guest's load failed: %s", pnm_strerror(err));
	} else {
		scn_quote(shown, sizeof(shown), got, len, 64);
		ret = scn_prop_result(r, !memcmp(want, got, len), "the guest reads %s", shown);
	}
	free(want);
	free(got);
	return ret;
}

static int prop_released(struct scn_run *r, void *s, const struct scn_value *a)
{
	struct pnm_kvm *kvm = kvm_get(r, &a[0]);

	if (!kvm)
		return SCN_FAILED;
	return scn_prop_result(r, kvm_info(kvm).released, "the address space is %s",
			       kvm_info(kvm).released ? "gone (released)" : "alive");
}

/* --- tables ----------------------------------------------------------------------- */

#define VM_REF	{ .type = SCN_ARG_REF, .name = "vm", .ns = NS_KVM }
#define PROC	{ .type = SCN_ARG_REF, .name = "process", .ns = SCN_NS_PROCESS }
#define END	{ .type = SCN_ARG_END }

static const struct scn_arg create_args[] = { PROC, SCN_IO_AS(NS_KVM), END };
static const struct scn_arg memslot_args[] = {
	VM_REF, { .type = SCN_ARG_INT, .name = "slot" }, { .type = SCN_ARG_INT, .name = "gfn" },
	{ .type = SCN_ARG_INT, .name = "pages" }, { .type = SCN_ARG_ADDR, .name = "address" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = memslot_words }, END };
static const struct scn_arg fault_args[] = {
	VM_REF, { .type = SCN_ARG_INT, .name = "gfn" },
	{ .type = SCN_ARG_FLAGS, .name = "flag", .choices = fault_words }, END };
static const struct scn_arg write_args[] = {
	VM_REF, { .type = SCN_ARG_LEN, .name = "gpa" }, { .type = SCN_ARG_DATA, .name = "data" },
	END };
static const struct scn_arg read_args[] = {
	VM_REF, { .type = SCN_ARG_LEN, .name = "gpa" }, { .type = SCN_ARG_SIZE, .name = "size" },
	END };
static const struct scn_arg vm_args[] = { VM_REF, END };
static const struct scn_arg vm_cmp_args[] = { VM_REF, { .type = SCN_ARG_CMP, .name = "count" },
					      END };
static const struct scn_arg entry_args[] = {
	VM_REF, { .type = SCN_ARG_INT, .name = "gfn" },
	{ .type = SCN_ARG_LITERAL, .name = "not", .flags = SCN_OPTIONAL },
	{ .type = SCN_ARG_KEYWORD, .name = "property", .choices = entry_words }, END };
static const struct scn_arg frame_args[] = {
	VM_REF, { .type = SCN_ARG_INT, .name = "gfn" }, PROC,
	{ .type = SCN_ARG_ADDR, .name = "address" }, END };

static const struct scn_cmd kvm_verbs[] = {
	{ .name = "create", .args = create_args, .test = kvm_create,
	  .help = "a VM over the process's memory: a shadow page table kept coherent by an "
		  "MMU notifier (plain references, no pins)",
	  .example = "io kvm create A as VM" },
	{ .name = "memslot", .args = memslot_args, .test = kvm_memslot,
	  .help = "guest frames GFN.. (PAGES of them) are the process's pages at ADDRESS "
		  "(PAGES 0 deletes the slot)",
	  .example = "io kvm memslot VM 0 0 16 buf" },
	{ .name = "fault", .args = fault_args, .test = kvm_fault,
	  .help = "the guest faults on GFN: get_user_pages, then a shadow entry",
	  .example = "io kvm fault VM 3 write" },
	{ .name = "write", .args = write_args, .test = kvm_write,
	  .help = "the guest stores DATA at guest physical address GPA (faults as needed)",
	  .example = "io kvm write VM 0x1000 \"guest\"" },
	{ .name = "read", .args = read_args, .test = kvm_read,
	  .help = "the guest loads SIZE bytes at GPA and shows them",
	  .example = "io kvm read VM 0x1000 16" },
	{ .name = "destroy", .args = vm_args, .test = kvm_destroy,
	  .help = "drop every shadow entry, unregister the notifier",
	  .example = "io kvm destroy VM" },
};

static const struct scn_cmd kvm_props[] = {
	{ .name = "mapped", .args = vm_cmp_args, .test = prop_count,
	  .data = &kvm_counts[KC_MAPPED],
	  .help = "shadow entries (each holding a page reference)" },
	{ .name = "writable", .args = vm_cmp_args, .test = prop_count,
	  .data = &kvm_counts[KC_WRITABLE],
	  .help = "writable shadow entries" },
	{ .name = "invalidations", .args = vm_cmp_args, .test = prop_count,
	  .data = &kvm_counts[KC_INVALIDATIONS],
	  .help = "ranges the MMU notifier delivered so far" },
	{ .name = "zapped", .args = vm_cmp_args, .test = prop_count,
	  .data = &kvm_counts[KC_ZAPPED],
	  .help = "shadow entries those ranges dropped so far" },
	{ .name = "retries", .args = vm_cmp_args, .test = prop_count,
	  .data = &kvm_counts[KC_RETRIES],
	  .help = "faults redone because an invalidation raced with them" },
	{ .name = "entry", .args = entry_args, .test = prop_entry,
	  .help = "the shadow entry of GFN is present / writable" },
	{ .name = "frame", .args = frame_args, .test = prop_frame,
	  .help = "the shadow entry of GFN maps the frame the process maps at ADDRESS" },
	{ .name = "reads", .args = write_args, .test = prop_reads,
	  .help = "the guest reads DATA at GPA" },
	{ .name = "released", .args = vm_args, .test = prop_released,
	  .help = "the process's address space went (the notifier's release ran)" },
};

SCN_IO_SITE(kvm, "kvm", "a KVM-like secondary MMU: shadow page table + MMU notifier (case 3)",
	    kvm_verbs, kvm_props)
