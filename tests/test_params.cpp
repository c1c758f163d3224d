#include <QtTest>

#include "core/params.h"

using namespace hz;

class TestParams : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void specTableIsInRestoreOrder() {
        const char* expected[] = {"temperature", "brightness", "contrast", "saturation", "highlight", "shadow"};
        for (int i = 0; i < kFilterCount; ++i) {
            QCOMPARE(int(filterSpecs()[i].filter), i);
            QCOMPARE(QString(filterSpecs()[i].key), QString(expected[i]));
            QCOMPARE(filterSpecs()[i].minValue, -1.0);
            QCOMPARE(filterSpecs()[i].maxValue, 1.0);
            QCOMPARE(filterSpecs()[i].defaultValue, 0.0);
        }
    }

    void getSetGoThroughTheTable_data() {
        QTest::addColumn<int>("filter");
        for (const auto& spec : filterSpecs()) QTest::newRow(spec.key) << int(spec.filter);
    }
    void getSetGoThroughTheTable() {
        QFETCH(int, filter);
        FilterParams params;
        params.set(Filter(filter), 0.25);
        QCOMPARE(params.get(Filter(filter)), 0.25);
        QCOMPARE(params.*(specOf(Filter(filter)).field), 0.25);
        QCOMPARE(params.toArray()[filter], 0.25);
        QVERIFY(!params.isIdentity());
        QCOMPARE(FilterParams::fromArray(params.toArray()), params);
    }

    void clampedKeepsRange() {
        FilterParams params = FilterParams::fromArray({-3, 2, 0.5, -0.5, 1, -1});
        const auto c = params.clamped().toArray();
        QCOMPARE(c[0], -1.0);
        QCOMPARE(c[1], 1.0);
        QCOMPARE(c[2], 0.5);
    }

    void jsonRoundTrip() {
        const FilterParams params = FilterParams::fromArray({0.1, -0.2, 0.3, -0.4, 0.123456, -1});
        const std::string json = paramsToJson(params);
        QVERIFY(json.find("\"temperature\": 0.100000") != std::string::npos);
        QCOMPARE(paramsFromJson(json), params);
    }

    void jsonErrorsNameTheKey_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing key") << R"({"temperature":0,"brightness":0,"contrast":0,"saturation":0,"highlight":0})"
                                     << "shadow";
        QTest::newRow("out of range") << R"({"temperature":2,"brightness":0,"contrast":0,"saturation":0,"highlight":0,"shadow":0})"
                                      << "temperature";
        QTest::newRow("not a number") << R"({"temperature":0,"brightness":"x","contrast":0,"saturation":0,"highlight":0,"shadow":0})"
                                      << "brightness";
        QTest::newRow("not json") << "nope" << "JSON";
    }
    void jsonErrorsNameTheKey() {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        try {
            paramsFromJson(json.toStdString());
            QFAIL("expected an error");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains(expected), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestParams)
#include "test_params.moc"
