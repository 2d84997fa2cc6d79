"""kmlab.recipes.cluster_documents: topics of a generated corpus, against direct computations."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import cosine_similarity

from kmlab import SphericalKMeans
from kmlab.recipes import cluster_documents

TOPICS = {
    "space": "orbit rocket planet astronaut telescope galaxy launch satellite lunar comet asteroid cosmic nebula "
    "spacecraft gravity mars jupiter meteor crater eclipse",
    "cooking": "recipe oven garlic butter flour simmer bake onion pepper sauce dough skillet roast chopped salt "
    "vinegar broth knead fry spoon",
    "football": "goal striker referee penalty midfield league keeper match coach stadium tackle season offside winger "
    "header fans kickoff dribble foul trophy",
    "finance": "stock bond dividend investor equity portfolio inflation interest earnings hedge yield shares bank loan "
    "currency trading profit revenue fund credit",
    "medicine": "patient doctor vaccine symptom clinic diagnosis surgery nurse therapy infection dose hospital fever "
    "treatment virus chronic prescription blood heart cancer",
}
# Words every topic uses (not English stop words, so they stay in the vocabulary) and stop words.
FILLER = (
    "people time year new good great way day thing world life work place week part number today really lot make "
    "little long small large old big high different important early young public able late sure real best"
).split()
STOP_WORDS = "the and of to a in is it that for on with as was at by this be are from".split()


def topic_corpus(seed, n_per_topic=40, topic_share=0.25):
    """Documents of 30-60 words, a share from one topic's vocabulary, the rest filler and stop words.

    Returns the texts (shuffled) and each one's topic number.
    """
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for topic, vocabulary in enumerate(TOPICS.values()):
        vocabulary = vocabulary.split()
        for _ in range(n_per_topic):
            n_words = int(rng.integers(30, 61))
            n_topic = int(round(topic_share * n_words))
            words = [
                *rng.choice(vocabulary, n_topic),
                *rng.choice(FILLER, n_words - n_topic),
                *rng.choice(STOP_WORDS, n_words // 3),
            ]
            rng.shuffle(words)
            texts.append(" ".join(words).capitalize() + ".")
            truth.append(topic)
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.array(truth)[order]


def test_five_topics_recovered_with_their_terms(seed):
    texts, truth = topic_corpus(seed)
    result = cluster_documents(texts, random_state=seed)
    assert result.n_clusters == 5 and result.selection.best_k == 5
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    vocabularies = [set(words.split()) for words in TOPICS.values()]
    for j, terms in enumerate(result.top_terms):
        topic = np.bincount(truth[result.labels == j]).argmax()
        assert len(terms) == 10
        # The top terms are the topic's words; shared filler words may trail them.
        assert terms[0] in vocabularies[topic]
        assert sum(term in vocabularies[topic] for term in terms) >= 6, terms


def test_same_clustering_as_spherical_kmeans_on_the_dense_tfidf():
    texts, _ = topic_corpus(3)
    result = cluster_documents(texts, 5, random_state=3)
    dense = result.vectorizer.transform(texts).toarray()
    direct = SphericalKMeans(n_clusters=5, n_init=3, random_state=3).fit(dense)
    np.testing.assert_array_equal(result.labels, direct.labels_)
    np.testing.assert_allclose(result.model.cluster_centers_, direct.cluster_centers_, atol=1e-12)
    assert result.selection is None


def test_similarities_top_terms_and_representatives():
    texts, _ = topic_corpus(1, n_per_topic=12)
    result = cluster_documents(texts, 5, n_terms=4, n_representatives=2, random_state=0)
    X = result.vectorizer.transform(texts)
    centers = result.model.cluster_centers_
    np.testing.assert_allclose(result.similarity, cosine_similarity(X, centers)[np.arange(len(texts)), result.labels])
    # Every document is most similar to its own centre.
    np.testing.assert_array_equal(result.labels, cosine_similarity(X, centers).argmax(axis=1))
    terms = result.vectorizer.get_feature_names_out()
    for j in range(5):
        assert result.top_terms[j] == [terms[t] for t in np.argsort(-centers[j])[:4]]
        members = np.flatnonzero(result.labels == j)
        expected = members[np.argsort(-result.similarity[members])[:2]]
        np.testing.assert_array_equal(result.representatives[j], expected)
    np.testing.assert_array_equal(result.sizes, np.bincount(result.labels, minlength=5))


def test_documents_without_terms_are_in_no_cluster():
    texts, truth = topic_corpus(2, n_per_topic=15)
    # Empty, blank, only stop words, and only a word no other document has.
    extra = ["", "   \n", "The and of it", "zyzzyva"]
    result = cluster_documents(texts[:30] + extra + texts[30:], 5, random_state=0)
    no_terms = np.zeros(len(texts) + 4, dtype=bool)
    no_terms[30:34] = True
    np.testing.assert_array_equal(result.labels == -1, no_terms)
    assert np.isnan(result.similarity[no_terms]).all() and np.isfinite(result.similarity[~no_terms]).all()
    assert result.sizes.sum() == len(texts)
    assert adjusted_rand_score(truth, result.labels[~no_terms]) >= 0.9
    alone = cluster_documents(texts, 5, random_state=0)
    np.testing.assert_array_equal(alone.labels, result.labels[~no_terms])


def test_min_df_and_max_df_shape_the_vocabulary():
    texts = ["apple banana", "apple cherry", "apple banana cherry", "apple durian"]
    result = cluster_documents(texts, 2, min_df=2, max_df=0.9)
    # "apple" is in every document (above max_df), "durian" in one (below min_df).
    assert sorted(result.vectorizer.vocabulary_) == ["banana", "cherry"]
    assert result.labels[3] == -1
    every_term = cluster_documents(texts, 2, min_df=1, max_df=1.0)
    assert sorted(every_term.vectorizer.vocabulary_) == ["apple", "banana", "cherry", "durian"]


@pytest.mark.parametrize(
    "texts, kwargs, error, message",
    [
        ("one long string", {}, TypeError, "single string"),
        (["a text", 3], {}, TypeError, r"texts\[1\] is int"),
        (["only one document"], {}, ValueError, "at least 2 documents"),
        (["the and", "of it", "to be"], {}, ValueError, "no terms to cluster"),
        (["red green", "red blue", "green blue"], {"n_clusters": 4}, ValueError, "more than the 3 documents"),
        (["red green", "red blue", "green blue"], {"n_clusters": 0}, ValueError, "n_clusters must be"),
        (["red green", "red blue", "green blue"], {"k_range": range(2, 9)}, ValueError, "leaves fewer than two"),
        (["red green", "red blue", "green blue"], {"k_range": [2, "3"]}, TypeError, "k_range must hold integers"),
    ],
    ids=["string", "not-text", "one-document", "stop-words-only", "too-many-clusters", "zero-clusters",
         "k-range", "k-range-type"],
)  # fmt: skip
def test_bad_input_is_named(texts, kwargs, error, message):
    with pytest.raises(error, match=message):
        cluster_documents(texts, **kwargs)
