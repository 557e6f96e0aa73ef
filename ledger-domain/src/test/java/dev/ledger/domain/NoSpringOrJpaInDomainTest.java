package dev.ledger.domain;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noCodeUnits;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.ledger.domain.account.Account;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.money.Money;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Set;

/**
 * The domain stays plain: no Spring, no persistence, no clock, no binary floating point for money.
 * Only production classes are imported; every rule refuses to pass on an empty selection.
 */
@AnalyzeClasses(packages = "dev.ledger.domain", importOptions = ImportOption.DoNotIncludeTests.class)
class NoSpringOrJpaInDomainTest {

    private static final String DOMAIN = "dev.ledger.domain..";

    private static final Set<String> FLOATING_POINT =
            Set.of("double", "float", Double.class.getName(), Float.class.getName());

    @ArchTest
    static void the_rules_below_see_the_production_domain_classes(JavaClasses classes) {
        assertThat(classes.contain(Account.class)).isTrue();
        assertThat(classes.contain(Money.class)).isTrue();
        assertThat(classes.contain(AccountOpenedEvent.class)).isTrue();
        assertThat(classes.stream().map(JavaClass::getName))
                .as("test classes must not be imported")
                .doesNotContain(NoSpringOrJpaInDomainTest.class.getName());
    }

    @ArchTest
    static final ArchRule no_spring_jpa_hibernate_or_jdbc = noClasses()
            .that().resideInAPackage(DOMAIN)
            .should().dependOnClassesThat().resideInAnyPackage(
                    "org.springframework..",
                    "jakarta.persistence..",
                    "javax.persistence..",
                    "org.hibernate..",
                    "java.sql..")
            .because("the domain is plain Java and Axon; frameworks and storage live in other modules")
            .allowEmptyShould(false);

    @ArchTest
    static final ArchRule no_clock_reads = noClasses()
            .that().resideInAPackage(DOMAIN)
            .should().callMethodWhere(nowOn(Instant.class))
            .orShould().callMethodWhere(nowOn(LocalDateTime.class))
            .orShould().callMethod(System.class, "currentTimeMillis")
            .because("the time of a change comes in with the command (Origin.occurredAt); the domain reads no clock")
            .allowEmptyShould(false);

    @ArchTest
    static final ArchRule no_floating_point_fields = noFields()
            .that().areDeclaredInClassesThat().resideInAPackage(DOMAIN)
            .should().haveRawType(double.class)
            .orShould().haveRawType(float.class)
            .orShould().haveRawType(Double.class)
            .orShould().haveRawType(Float.class)
            .because("money is counted in whole minor units as long")
            .allowEmptyShould(false);

    @ArchTest
    static final ArchRule no_floating_point_in_method_or_constructor_signatures = noCodeUnits()
            .that().areDeclaredInClassesThat().resideInAPackage(DOMAIN)
            .should(useFloatingPointInTheirSignature())
            .because("money is counted in whole minor units as long")
            .allowEmptyShould(false);

    /** Any {@code now(...)} overload on the given clock-reading type. */
    private static DescribedPredicate<JavaMethodCall> nowOn(Class<?> owner) {
        return DescribedPredicate.describe(owner.getSimpleName() + ".now(..)",
                call -> call.getTarget().getOwner().isEquivalentTo(owner) && call.getTarget().getName().equals("now"));
    }

    private static ArchCondition<JavaCodeUnit> useFloatingPointInTheirSignature() {
        return new ArchCondition<>("use double, float, Double or Float as a parameter or return type") {
            @Override
            public void check(JavaCodeUnit codeUnit, ConditionEvents events) {
                boolean returns = FLOATING_POINT.contains(codeUnit.getRawReturnType().getName());
                boolean takes = codeUnit.getRawParameterTypes().stream()
                        .anyMatch(type -> FLOATING_POINT.contains(type.getName()));
                events.add(new SimpleConditionEvent(codeUnit, returns || takes,
                        codeUnit.getFullName() + (returns || takes ? " uses" : " does not use")
                                + " floating point in its signature"));
            }
        };
    }
}
