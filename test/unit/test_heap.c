/*
 * test/unit/test_heap.c: the binary min-heap (common/heap.h): order by
 * key, ties in insertion order, O(log n) delete anywhere through the index
 * each node keeps, checked against a sorted reference under random load.
 */
#include <check.h>
#include <stdlib.h>

#include "common/core.h"
#include "common/heap.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

typedef struct item {
    gw_heap_node_t node;
    int            id;
    uint64_t       order;       /* reference tie-break: when it was added */
} item_t;

/* The array is a heap and every node knows where it sits. */
static void
check_invariants(const gw_heap_t *h)
{
    for (uint32_t i = 0; i < h->n; i++) {
        const gw_heap_node_t *n = h->items[i];

        ck_assert_msg(n->index == i, "node at %u says index %u", i, n->index);
        if (i > 0) {
            const gw_heap_node_t *parent = h->items[(i - 1) / 2];

            ck_assert_msg(parent->key < n->key
                          || (parent->key == n->key && parent->seq < n->seq),
                          "heap order broken at %u", i);
        }
    }
}

static void
add(gw_heap_t *h, item_t *it, uint64_t key)
{
    gw_heap_node_init(&it->node);
    it->node.key = key;
    ck_assert_int_eq(gw_heap_add(h, &it->node), 0);
    check_invariants(h);
}

static item_t *
pop(gw_heap_t *h)
{
    gw_heap_node_t *min = gw_heap_min(h);

    if (min == NULL) {
        return NULL;
    }
    gw_heap_del(h, min);
    ck_assert(!gw_heap_node_is_linked(min));
    check_invariants(h);
    return gw_container_of(min, item_t, node);
}

START_TEST(test_heap_empty)
{
    gw_heap_t h;
    item_t    a;

    ck_assert_int_eq(gw_heap_init(&h, 4), 0);
    ck_assert_ptr_null(gw_heap_min(&h));
    gw_heap_node_init(&a.node);
    ck_assert(!gw_heap_node_is_linked(&a.node));
    add(&h, &a, 1);
    ck_assert(gw_heap_node_is_linked(&a.node));
    ck_assert_ptr_eq(gw_heap_min(&h), &a.node);
    gw_heap_del(&h, &a.node);
    ck_assert(!gw_heap_node_is_linked(&a.node));
    ck_assert_ptr_null(gw_heap_min(&h));
    ck_assert_uint_eq(h.n, 0);
    gw_heap_fini(&h);
}
END_TEST

START_TEST(test_heap_order)
{
    static const uint64_t keys[] = { 50, 20, 90, 10, 70, 30, 80, 60, 40, 0,
                                     100, 5, 95, 15, 85 };
    enum { N = sizeof(keys) / sizeof(keys[0]) };
    gw_heap_t h;
    item_t    items[N];
    uint64_t  prev = 0;

    ck_assert_int_eq(gw_heap_init(&h, 2), 0);      /* forces growth */
    for (int i = 0; i < N; i++) {
        items[i].id = i;
        add(&h, &items[i], keys[i]);
    }
    ck_assert_uint_eq(h.n, N);
    for (int i = 0; i < N; i++) {
        item_t *it = pop(&h);

        ck_assert_ptr_nonnull(it);
        ck_assert_uint_ge(it->node.key, prev);
        ck_assert_uint_eq(it->node.key, keys[it->id]);
        prev = it->node.key;
    }
    ck_assert_ptr_null(pop(&h));
    gw_heap_fini(&h);
}
END_TEST

START_TEST(test_heap_ties_in_insertion_order)
{
    /* keys: 7 7 3 7 3 7 3 ...: ids of equal keys must come out ascending */
    enum { N = 40 };
    gw_heap_t h;
    item_t    items[N];
    int       last_id[2] = { -1, -1 };

    ck_assert_int_eq(gw_heap_init(&h, 0), 0);
    for (int i = 0; i < N; i++) {
        items[i].id = i;
        add(&h, &items[i], i % 3 == 2 ? 3 : 7);
    }
    for (int i = 0; i < N; i++) {
        item_t *it = pop(&h);
        int     k = it->node.key == 7;

        ck_assert_msg(it->id > last_id[k], "key %llu: id %d after %d",
                      (unsigned long long) it->node.key, it->id, last_id[k]);
        ck_assert_msg(k == 1 || last_id[1] == -1, "a 3 came after a 7");
        last_id[k] = it->id;
    }
    gw_heap_fini(&h);
}
END_TEST

START_TEST(test_heap_readd_goes_behind_ties)
{
    gw_heap_t h;
    item_t    a = { .id = 0 }, b = { .id = 1 }, c = { .id = 2 };

    ck_assert_int_eq(gw_heap_init(&h, 4), 0);
    add(&h, &a, 5);
    add(&h, &b, 5);
    add(&h, &c, 5);
    gw_heap_del(&h, &a.node);
    add(&h, &a, 5);             /* re-armed: now the newest of the tie */
    ck_assert_int_eq(pop(&h)->id, 1);
    ck_assert_int_eq(pop(&h)->id, 2);
    ck_assert_int_eq(pop(&h)->id, 0);
    gw_heap_fini(&h);
}
END_TEST

START_TEST(test_heap_delete_middle)
{
    enum { N = 31 };
    gw_heap_t h;
    item_t    items[N];
    int       gone[N] = { 0 };
    /* the root, leaves, inner nodes, and the last slot */
    static const int del[] = { 0, 30, 15, 7, 22, 3, 29, 11 };

    ck_assert_int_eq(gw_heap_init(&h, 8), 0);
    for (int i = 0; i < N; i++) {
        items[i].id = i;
        add(&h, &items[i], (uint64_t) ((i * 17) % N));   /* a permutation */
    }
    for (size_t k = 0; k < sizeof(del) / sizeof(del[0]); k++) {
        gw_heap_del(&h, &items[del[k]].node);
        ck_assert(!gw_heap_node_is_linked(&items[del[k]].node));
        gone[del[k]] = 1;
        check_invariants(&h);
    }
    ck_assert_uint_eq(h.n, N - sizeof(del) / sizeof(del[0]));
    for (uint64_t prev = 0, first = 1; h.n; first = 0) {
        item_t *it = pop(&h);

        ck_assert_msg(!gone[it->id], "deleted item %d came out", it->id);
        ck_assert(first || it->node.key > prev);
        prev = it->node.key;
    }
    gw_heap_fini(&h);
}
END_TEST

/* Reference order: key, then insertion. */
static int
cmp_ref(const void *x, const void *y)
{
    const item_t *a = *(item_t *const *) x, *b = *(item_t *const *) y;

    if (a->node.key != b->node.key) {
        return a->node.key < b->node.key ? -1 : 1;
    }
    return a->order < b->order ? -1 : a->order > b->order;
}

START_TEST(test_heap_random_stress)
{
    enum { N = 600, OPS = 20000 };
    gw_heap_t  h;
    item_t    *items = calloc(N, sizeof(*items));
    item_t    *ref[N];
    unsigned   seed = 12345, n_ref = 0;
    uint64_t   order = 0;

    ck_assert_ptr_nonnull(items);
    ck_assert_int_eq(gw_heap_init(&h, 1), 0);
    for (int i = 0; i < N; i++) {
        items[i].id = i;
        gw_heap_node_init(&items[i].node);
    }
    for (int op = 0; op < OPS; op++) {
        item_t *it = &items[ut_rand(&seed) % N];
        unsigned what = ut_rand(&seed) % 10;

        if (what < 3 && h.n) {
            /* pop the minimum: must be the reference's smallest */
            unsigned m = 0;

            for (unsigned k = 1; k < n_ref; k++) {
                m = cmp_ref(&ref[k], &ref[m]) < 0 ? k : m;
            }
            ck_assert_ptr_eq(gw_heap_min(&h), &ref[m]->node);
            gw_heap_del(&h, &ref[m]->node);
            ref[m] = ref[--n_ref];
        } else if (gw_heap_node_is_linked(&it->node)) {
            gw_heap_del(&h, &it->node);
            for (unsigned k = 0; k < n_ref; k++) {
                if (ref[k] == it) {
                    ref[k] = ref[--n_ref];
                    break;
                }
            }
        } else {
            /* few distinct keys, so ties are common */
            it->node.key = ut_rand(&seed) % 50;
            it->order = order++;
            ck_assert_int_eq(gw_heap_add(&h, &it->node), 0);
            ref[n_ref++] = it;
        }
        ck_assert_uint_eq(h.n, n_ref);
        if (op % 97 == 0) {
            check_invariants(&h);
        }
    }
    check_invariants(&h);
    qsort(ref, n_ref, sizeof(ref[0]), cmp_ref);
    for (unsigned k = 0; k < n_ref; k++) {
        item_t *it = pop(&h);

        ck_assert_msg(it == ref[k], "pop %u: got id %d key %llu, want id %d "
                      "key %llu", k, it->id,
                      (unsigned long long) it->node.key, ref[k]->id,
                      (unsigned long long) ref[k]->node.key);
    }
    ck_assert_ptr_null(gw_heap_min(&h));
    gw_heap_fini(&h);
    free(items);
}
END_TEST

Suite *
heap_suite(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("minheap");

    tcase_add_test(tc, test_heap_empty);
    tcase_add_test(tc, test_heap_order);
    tcase_add_test(tc, test_heap_ties_in_insertion_order);
    tcase_add_test(tc, test_heap_readd_goes_behind_ties);
    tcase_add_test(tc, test_heap_delete_middle);
    tcase_add_test(tc, test_heap_random_stress);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
