package io.quantbot.storage.enforcement;

import com.tngtech.archunit.lang.ArchRule;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The static final ArchRule fields of {@link ArchitectureRules}, by field name, in declaration order. */
final class RuleFields {
    private static final Map<String, ArchRule> ALL = load();

    private RuleFields() {}

    static Map<String, ArchRule> all() {
        return ALL;
    }

    private static Map<String, ArchRule> load() {
        Map<String, ArchRule> rules = new LinkedHashMap<>();
        for (Field field : ArchitectureRules.class.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (field.getType() == ArchRule.class && Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers)) {
                try {
                    field.setAccessible(true);
                    rules.put(field.getName(), (ArchRule) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("cannot read rule " + field.getName(), e);
                }
            }
        }
        return Collections.unmodifiableMap(rules);
    }
}
